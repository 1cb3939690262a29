"""bce_loss computes p = sigmoid(z) first, then log p and log(1 - p).

Fine for small logits; for |z| around 100, p rounds to 0 or 1 and the log is -inf, so the
loss is inf (and the gradient NaN).

loses: 1.4
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.4 — bce_loss
def bce_loss(X: torch.Tensor, w: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    z = X @ w
    y = y.reshape(z.shape)
    p = sigmoid(z)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
