"""torch.normal(mu, σ, generator=...): the right distribution and the caller's generator, and
the output even requires grad, but torch.normal does not backpropagate through the sample:
the gradients to mu and logvar are zero.

loses: 4.2
"""
# ruff: noqa: F821 (torch comes from the solution's IMPORTS cell)


# EXERCISE 4.2 — reparameterize
def reparameterize(mu, logvar, generator=None):
    return torch.normal(mu, torch.exp(0.5 * logvar), generator=generator)
