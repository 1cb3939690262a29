"""Penalties accumulated with .item(): the right numbers as Python floats, not differentiable.

loses: S4.3
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS cell)


# EXERCISE S4.3 — l1_penalty
def l1_penalty(model: nn.Module, C: float) -> torch.Tensor:
    return C * sum(p.abs().sum().item() for p in model.parameters())


# EXERCISE S4.3 — l2_penalty
def l2_penalty(model: nn.Module, C: float) -> torch.Tensor:
    return C * sum(p.pow(2).sum().item() for p in model.parameters())
