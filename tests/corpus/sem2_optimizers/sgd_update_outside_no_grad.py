"""SGD whose step() is not under torch.no_grad(): the in-place update of a leaf that requires
grad raises.

loses: S2.1
"""
# ruff: noqa: F821 (torch, Optimizer, Callable and Iterable come from the IMPORTS cell)

# EXERCISE S2.1 — SGD
class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, weight_decay=0.0):
        if lr < 0 or weight_decay < 0:
            raise ValueError("bad hyper-parameter")
        super().__init__(params, {"lr": lr, "weight_decay": weight_decay})

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                p -= group["lr"] * (p.grad + group["weight_decay"] * p)
        return loss
