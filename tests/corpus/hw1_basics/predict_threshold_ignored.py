"""predict compares with 0.5 whatever threshold it is given.

loses: 1.5
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.5 — predict
def predict(model: nn.Module, X: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    with torch.no_grad():
        return (predict_proba(model, X) >= 0.5).float()
