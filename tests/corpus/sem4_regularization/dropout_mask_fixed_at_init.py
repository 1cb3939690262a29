"""Dropout that draws its mask once (on the first call) and reuses it on every call.

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
        self.mask = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return x * 0.0
        if self.mask is None or self.mask.shape != x.shape:
            self.mask = (torch.rand_like(x) >= self.p).to(x.dtype)
        return x * self.mask / (1.0 - self.p)
