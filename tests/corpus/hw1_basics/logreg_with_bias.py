"""LogisticRegression adds a bias parameter the contract does not have (one parameter, w).

loses: 1.3
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.3 — LogisticRegression
class LogisticRegression(nn.Module):
    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(in_features, 1))
        self.b = nn.Parameter(torch.zeros(1))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X @ self.w + self.b
