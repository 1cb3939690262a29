"""accuracy compares y_pred and y_true without flattening: (n, 1) against (n,) broadcasts to
(n, n) and the mean is silently wrong.

loses: 1.5
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.5 — accuracy
def accuracy(y_pred: torch.Tensor, y_true: torch.Tensor) -> float:
    return (y_pred == y_true).float().mean().item()
