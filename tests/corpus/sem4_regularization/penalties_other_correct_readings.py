"""Correct penalties written differently: one flat vector of all parameters, torch.norm.

loses: nothing
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS cell)


# EXERCISE S4.3 — l1_penalty
def l1_penalty(model, C):
    flat = torch.cat([p.reshape(-1) for p in model.parameters()])
    return C * torch.norm(flat, p=1)


# EXERCISE S4.3 — l2_penalty
def l2_penalty(model, C):
    return C * sum(torch.linalg.vector_norm(p) ** 2 for p in model.parameters())
