"""Dropout that zeroes and rescales x in place and returns it.

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
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return x * 0.0
        keep = (torch.rand_like(x) >= self.p).to(x.dtype)
        with torch.no_grad():
            x.mul_(keep).div_(1.0 - self.p)
        return x
