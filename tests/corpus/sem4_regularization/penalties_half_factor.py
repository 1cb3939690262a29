"""l2_penalty with the textbook factor 1/2: C/2·Σθ², whose gradient is C·θ, not 2C·θ.

The contract has no 1/2, so that SGD on loss + l2_penalty(model, C) is weight_decay = 2C.

loses: S4.3
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS cell)


# EXERCISE S4.3 — l2_penalty
def l2_penalty(model: nn.Module, C: float) -> torch.Tensor:
    return 0.5 * C * sum((p.pow(2).sum() for p in model.parameters()), torch.tensor(0.0))
