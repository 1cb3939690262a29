"""ELU's negative branch without alpha: exp(x) - 1 whatever alpha is.

loses: S3.2
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.2 — ELU
class ELU(nn.Module):
    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, x):
        return torch.where(x > 0, x, torch.expm1(x.clamp(max=0.0)))

    def derivative(self, x):
        return torch.where(x > 0, torch.ones_like(x), torch.exp(x.clamp(max=0.0)))
