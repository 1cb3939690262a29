"""exp(logvar) is the variance, used here as the standard deviation.

loses: 4.2
"""
# ruff: noqa: F821 (torch comes from the solution's IMPORTS cell)


# EXERCISE 4.2 — reparameterize
def reparameterize(mu, logvar, generator=None):
    eps = torch.randn(mu.shape, generator=generator)
    return mu + torch.exp(logvar) * eps
