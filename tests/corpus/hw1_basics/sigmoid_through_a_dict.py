"""sigmoid reaches torch.sigmoid through a dict of functions, which the source never spells.

The static rule reads only `_ACTIVATIONS["logistic"](z)`; the worker's dispatch recorder sees
torch.sigmoid dispatched while sigmoid runs, and the trusted side costs the exercise as the
static rule would. bce_loss keeps its points (1.4 is still below max).

loses: 1.4
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.4 — sigmoid
_ACTIVATIONS = {"logistic": getattr(torch, "sig" + "moid"), "tanh": torch.tanh}


def sigmoid(z: torch.Tensor) -> torch.Tensor:
    return _ACTIVATIONS["logistic"](z)
