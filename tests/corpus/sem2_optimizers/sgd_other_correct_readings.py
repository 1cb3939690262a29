"""Correct SGD written differently: torch.no_grad() as a block, hyper-parameters read with
group.get, the update as p.sub_(lr * g), the closure's loss returned as a float.

loses: nothing
"""
# ruff: noqa: F821 (torch, Optimizer, Callable and Iterable come from the IMPORTS cell)

# EXERCISE S2.1 — SGD
class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, weight_decay=0.0):
        if not (lr >= 0 and weight_decay >= 0):
            raise ValueError(f"lr={lr}, weight_decay={weight_decay}")
        defaults = dict(lr=lr, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = float(closure()) if closure is not None else None
        with torch.no_grad():
            for group in self.param_groups:
                lr, wd = group.get("lr"), group.get("weight_decay", 0.0)
                for p in filter(lambda q: q.grad is not None, group["params"]):
                    p.sub_(lr * (p.grad + wd * p))
        return loss
