"""z sampled outside the graph (the noise and the sample drawn under no_grad): no gradient
reaches mu and logvar, so the encoder never learns. Right distribution, wrong trick.

loses: 4.2
"""
# ruff: noqa: F821 (torch comes from the solution's IMPORTS cell)


# EXERCISE 4.2 — reparameterize
def reparameterize(mu, logvar, generator=None):
    with torch.no_grad():
        return torch.normal(mu, torch.exp(0.5 * logvar), generator=generator)
