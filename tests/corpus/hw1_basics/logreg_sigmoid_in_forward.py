"""LogisticRegression returns probabilities sigmoid(X @ w) instead of the logits X @ w.

loses: 1.3
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.3 — LogisticRegression
class LogisticRegression(nn.Module):
    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(in_features, 1))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(X @ self.w)
