"""The PyTorch lecture's variant: no rescaling in train mode, multiply by 1 - p at inference.

Right in expectation, but the contract is inverted dropout: eval mode must be the identity.

loses: S4.1
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS cell)


# EXERCISE S4.1 — Dropout
class Dropout(nn.Module):
    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be in [0, 1], got {p}")
        self.p = float(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x * (1.0 - self.p)
        keep = (torch.rand_like(x) >= self.p).to(x.dtype)
        return x * keep
