"""RMSProp without torch.no_grad(): it dodges the in-place error through p.data, but
g = p.grad + weight_decay * p requires grad, so the average drags the autograd graph of every
step along (the path itself is right).

loses: S2.5
"""
# ruff: noqa: F821 (torch, Optimizer, Callable and Iterable come from the IMPORTS cell)

# EXERCISE S2.5 — RMSProp
class RMSProp(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not 0 <= alpha < 1:
            raise ValueError("bad hyper-parameter")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            a = group["alpha"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                state = self.state[p]
                if "square_avg" not in state:
                    state["square_avg"] = torch.zeros_like(p.data)
                state["square_avg"] = a * state["square_avg"] + (1 - a) * g * g
                update = g / (state["square_avg"].sqrt() + group["eps"])
                p.data.sub_(group["lr"] * update.detach())
        return loss
