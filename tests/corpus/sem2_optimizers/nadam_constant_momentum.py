"""The textbook Nadam with a constant mu_t = beta1: momentum_decay ignored.

loses: S2.7
"""
# ruff: noqa: F821 (torch, Optimizer, Callable and Iterable come from the IMPORTS cell)

# EXERCISE S2.7 — NAdam
class NAdam(Optimizer):
    def __init__(
        self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3
    ):
        if min(lr, eps, weight_decay, momentum_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("bad hyper-parameter")
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay
        )
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            b1, b2 = group["betas"]
            lr, eps = group["lr"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state["step"], state["mu_product"] = 0, 1.0
                    state["exp_avg"], state["exp_avg_sq"] = torch.zeros_like(p), torch.zeros_like(p)
                state["step"] += 1
                t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
                mu = mu_next = b1
                state["mu_product"] *= mu
                P = state["mu_product"]
                m.mul_(b1).add_((1 - b1) * g)
                v.mul_(b2).add_((1 - b2) * g * g)
                denom = (v / (1 - b2**t)).sqrt() + eps
                p.sub_(lr * (1 - mu) / (1 - P) * g / denom)
                p.sub_(lr * mu_next / (1 - P * mu_next) * m / denom)
        return loss
