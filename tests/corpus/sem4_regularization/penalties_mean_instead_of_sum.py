"""Penalties that average |θ| and θ² per tensor instead of summing them.

loses: S4.3
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS cell)


# EXERCISE S4.3 — l1_penalty
def l1_penalty(model: nn.Module, C: float) -> torch.Tensor:
    return C * sum((p.abs().mean() for p in model.parameters()), torch.tensor(0.0))


# EXERCISE S4.3 — l2_penalty
def l2_penalty(model: nn.Module, C: float) -> torch.Tensor:
    return C * sum((p.pow(2).mean() for p in model.parameters()), torch.tensor(0.0))
