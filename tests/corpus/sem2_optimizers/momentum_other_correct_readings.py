"""Correct lecture momentum written differently: a new velocity tensor each step stored back
into the state (not updated in place), created with state.setdefault, the step p.add_(v).

loses: nothing
"""
# ruff: noqa: F821 (torch, Optimizer, Callable and Iterable come from the IMPORTS cell)

# EXERCISE S2.2 — Momentum
class Momentum(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.9, weight_decay=0.0):
        if lr < 0 or not 0 <= momentum < 1 or weight_decay < 0:
            raise ValueError("bad hyper-parameter")
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            mu, lr, wd = group["momentum"], group["lr"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is not None:
                    v = self.state[p].setdefault("velocity", torch.zeros_like(p))
                    v = mu * v - lr * (p.grad + wd * p)
                    self.state[p]["velocity"] = v
                    p.add_(v)
        return loss
