"""bce_loss sums the per-example terms instead of averaging them.

train_logreg (1.5) calls bce_loss, but the 1.5 tests run it with the library's BCE in its
place, so this costs 1.4 only.

loses: 1.4
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.4 — bce_loss
def bce_loss(X: torch.Tensor, w: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    z = X @ w
    y = y.reshape(z.shape)
    softplus = torch.logaddexp(torch.zeros_like(z), z)
    return (softplus - y * z).sum()
