"""sigmoid written literally, 1 / (1 + exp(-z)).

The values are right (exp(100) = inf gives 1/inf = 0), but the gradient is inf/inf = NaN for
z < -88, which the docstring asks to avoid.

loses: 1.4
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.4 — sigmoid
def sigmoid(z: torch.Tensor) -> torch.Tensor:
    return 1 / (1 + torch.exp(-z))
