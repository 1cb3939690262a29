"""Momentum kept as torch's buffer b = mu * b + g, p -= lr * b: the same path at a constant
learning rate, but a changed lr rescales all past gradients at once, and state[p]['velocity']
is not the lecture's velocity.

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
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                state = self.state[p]
                if "velocity" not in state:
                    state["velocity"] = torch.zeros_like(p)
                b = state["velocity"]
                b.mul_(group["momentum"]).add_(g)
                p.add_(b, alpha=-group["lr"])
        return loss
