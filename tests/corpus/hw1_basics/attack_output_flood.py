"""Attack: a correct solution that floods stdout and stderr.

Output is capped, never fatal: debug prints cost no points.

loses: nothing
"""


# EXERCISE 1.3 — LogisticRegression
import os
import sys


class LogisticRegression(nn.Module):
    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(in_features, 1))
        print("x" * (4 << 20))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        sys.stderr.write("debug " * 100_000)
        os.write(1, b"raw " * 100_000)
        return X @ self.w
