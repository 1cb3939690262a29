"""AdaGrad that starts the sum of squares afresh at every step: s = initial + g * g.

loses: S2.4
"""
# ruff: noqa: F821 (torch, Optimizer, Callable and Iterable come from the IMPORTS cell)

# EXERCISE S2.4 — AdaGrad
class AdaGrad(Optimizer):
    def __init__(self, params, lr=1e-2, eps=1e-10, weight_decay=0.0, initial_accumulator_value=0.0):
        if min(lr, eps, weight_decay, initial_accumulator_value) < 0:
            raise ValueError("bad hyper-parameter")
        defaults = dict(lr=lr, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value)
        super().__init__(params, defaults)

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
                state["sum"] = torch.full_like(p, group["initial_accumulator_value"])
                state["sum"].add_(g * g)
                p.sub_(group["lr"] * g / (state["sum"].sqrt() + group["eps"]))
        return loss
