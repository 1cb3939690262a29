"""Fault: the exercise cell imports a module that does not exist.

The cell fails while the module loads: its section scores 0 with the ImportError as the
reason, the rest is graded.

scores: 1.3=0
"""


# EXERCISE 1.3 — LogisticRegression
import torchvision_that_does_not_exist  # noqa: F401


class LogisticRegression(nn.Module):
    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(in_features, 1))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X @ self.w
