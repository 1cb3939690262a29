"""Penalties over the weight matrices only (p.dim() > 1): biases and batch norm's gamma and
beta are left out, though the contract says every parameter counts.

loses: S4.3
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS cell)


# EXERCISE S4.3 — l1_penalty
def l1_penalty(model: nn.Module, C: float) -> torch.Tensor:
    return C * sum((p.abs().sum() for p in model.parameters() if p.dim() > 1), torch.tensor(0.0))


# EXERCISE S4.3 — l2_penalty
def l2_penalty(model: nn.Module, C: float) -> torch.Tensor:
    return C * sum((p.pow(2).sum() for p in model.parameters() if p.dim() > 1), torch.tensor(0.0))
