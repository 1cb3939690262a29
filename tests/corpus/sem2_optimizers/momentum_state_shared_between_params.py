"""Momentum with one velocity per parameter group (kept under the group's first parameter):
parameters of one group share it.

loses: S2.2
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
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            state = self.state[group["params"][0]]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                if "velocity" not in state:
                    state["velocity"] = torch.zeros_like(p)
                v = state["velocity"]
                v.mul_(group["momentum"]).sub_(group["lr"] * g)
                p.add_(v)
        return loss
