"""Correct NAdam written differently: the step and mu_product as 0-dim tensors, the moments
with lerp_, both terms summed into one update.

loses: nothing
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
            beta1, beta2 = group["betas"]
            for p in (q for q in group["params"] if q.grad is not None):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = torch.tensor(0.0)
                    state["mu_product"] = torch.tensor(1.0)
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                grad = p.grad.add(p, alpha=group["weight_decay"])
                state["step"] += 1
                t = state["step"].item()
                mu, mu_next = (
                    beta1 * (1.0 - 0.5 * 0.96 ** (k * group["momentum_decay"])) for k in (t, t + 1)
                )
                state["mu_product"] *= mu
                product = state["mu_product"].item()
                state["exp_avg"].lerp_(grad, 1 - beta1)
                state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = state["exp_avg_sq"].div(1 - beta2**t).sqrt().add(group["eps"])
                update = (1 - mu) / (1 - product) * grad + mu_next / (
                    1 - product * mu_next
                ) * state["exp_avg"]
                p.sub_(group["lr"] * update / denom)
        return loss
