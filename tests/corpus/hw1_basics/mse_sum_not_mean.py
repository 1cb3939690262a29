"""mse_loss sums the squared errors instead of averaging them.

loses: 1.2
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.2 — mse_loss
def mse_loss(y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    y = y.reshape(y_pred.shape)
    return ((y_pred - y) ** 2).sum()
