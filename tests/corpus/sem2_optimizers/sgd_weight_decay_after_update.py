"""SGD that decays the parameter after the gradient step, from the already updated value.

loses: S2.1
"""
# ruff: noqa: F821 (torch, Optimizer, Callable and Iterable come from the IMPORTS cell)

# EXERCISE S2.1 — SGD
class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, weight_decay=0.0):
        if lr < 0 or weight_decay < 0:
            raise ValueError("bad hyper-parameter")
        super().__init__(params, {"lr": lr, "weight_decay": weight_decay})

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
                p.add_(p.grad, alpha=-group["lr"])
                p.mul_(1 - group["lr"] * group["weight_decay"])
        return loss
