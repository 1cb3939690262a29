"""The "stable" sigmoid with torch.where: each branch is right where it is picked, but autograd
differentiates both, and the branch not picked overflows: NaN gradients for large |z|.

loses: 1.4
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.4 — sigmoid
def sigmoid(z: torch.Tensor) -> torch.Tensor:
    return torch.where(z >= 0, 1 / (1 + torch.exp(-z)), torch.exp(z) / (1 + torch.exp(z)))
