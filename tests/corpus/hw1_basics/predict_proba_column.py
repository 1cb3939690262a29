"""predict_proba returns the probabilities as a column (n, 1) instead of a vector (n,).

loses: 1.5
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.5 — predict_proba
def predict_proba(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return torch.sigmoid(model(X))
