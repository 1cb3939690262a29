"""Fault: a segfault (ctypes) in forward, and one while the module loads.

The constructor is right, so 1.3 keeps the points of tests that never call forward; the
sigmoid cell crashes its template while loading, so sigmoid's tests are lost and bce_loss's,
in the same section, are not (the penalty unit is the exercise).

loses: 1.3 1.4
"""


# EXERCISE 1.3 — LogisticRegression
import ctypes


class LogisticRegression(nn.Module):
    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(in_features, 1))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        ctypes.string_at(0)


# EXERCISE 1.4 — sigmoid
import ctypes

ctypes.string_at(0)
