"""Correct dropout written differently: torch.bernoulli, zeros_like at p = 1, a copy in eval.

loses: nothing
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS cell)


# EXERCISE S4.1 — Dropout
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError("p must be in [0, 1]")
        self.p = p

    def forward(self, x):
        if not self.training:
            return x.clone()
        if self.p == 1:
            return torch.zeros_like(x)
        mask = torch.bernoulli(torch.full_like(x, 1 - self.p))
        return mask * x * (1 / (1 - self.p))
