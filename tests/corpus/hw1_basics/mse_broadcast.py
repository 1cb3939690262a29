"""mse_loss subtracts y of shape (n,) from y_pred of shape (n, 1) without reshaping.

The difference broadcasts to an (n, n) matrix of every prediction against every target, and
its mean is a wrong number without any error (the classic silent broadcast).

loses: 1.2
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.2 — mse_loss
def mse_loss(y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((y_pred - y) ** 2).mean()
