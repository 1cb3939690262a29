"""accuracy returns the number of correct predictions instead of the fraction.

loses: 1.5
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.5 — accuracy
def accuracy(y_pred: torch.Tensor, y_true: torch.Tensor) -> float:
    return float((y_pred.reshape(-1) == y_true.reshape(-1)).sum())
