"""Correct Adam written as torch does: the step a 0-dim float tensor, the state created with
its keys in another order, the moments with lerp_/addcmul_, and the bias corrections folded into
the step size and the denominator: (sqrt(v) / sqrt(1 - beta2**t) + eps), lr / (1 - beta1**t).

loses: nothing
"""
# ruff: noqa: F821 (torch, Optimizer, Callable and Iterable come from the IMPORTS cell)

# EXERCISE S2.6 — Adam
import math


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if min(lr, eps, weight_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("bad hyper-parameter")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if len(state) == 0:
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    state["exp_avg"] = torch.zeros_like(p)
                    state["step"] = torch.tensor(0.0)
                state["step"] += 1
                step = state["step"].item()
                state["exp_avg"].lerp_(grad, 1 - beta1)
                state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                bias1, bias2 = 1 - beta1**step, 1 - beta2**step
                denom = (state["exp_avg_sq"].sqrt() / math.sqrt(bias2)).add_(group["eps"])
                p.addcdiv_(state["exp_avg"], denom, value=-group["lr"] / bias1)
        return loss
