"""sigmoid calls torch.sigmoid, which 1.4 forbids: right values, but not written by hand.

Only the tests that touch sigmoid fail; bce_loss keeps its points (1.4 is still below max).

loses: 1.4
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.4 — sigmoid
def sigmoid(z: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(z)
