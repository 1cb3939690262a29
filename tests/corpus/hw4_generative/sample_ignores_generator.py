"""sample draws z from torch's global RNG whatever generator is passed.

loses: 4.5
"""
# ruff: noqa: F821 (torch comes from the solution's IMPORTS cell)


# EXERCISE 4.5 — sample
@torch.no_grad()
def sample(model, n, generator=None):
    return torch.sigmoid(model.decode(torch.randn(n, model.latent_dim)))
