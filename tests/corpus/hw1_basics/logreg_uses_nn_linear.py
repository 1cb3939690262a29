"""LogisticRegression wraps nn.Linear, which 1.3 forbids (the PyTorch lecture: write it yourself).

The values are even right (no bias, and w exposed as a property): the rule alone costs 1.3.

loses: 1.3
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.3 — LogisticRegression
class LogisticRegression(nn.Module):
    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, 1, bias=False)

    @property
    def w(self) -> torch.Tensor:
        return self.linear.weight.T

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.linear(X)
