"""The noise comes from torch's global RNG whatever generator the caller passes.

loses: 4.2
"""
# ruff: noqa: F821 (torch comes from the solution's IMPORTS cell)


# EXERCISE 4.2 — reparameterize
def reparameterize(mu, logvar, generator=None):
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
