"""The KL with the wrong sign: -0.5 * sum(mu² + σ² - 1 - log σ²). The ELBO then rewards
moving away from the prior.

loses: 4.3
"""
# ruff: noqa: F821 (torch comes from the solution's IMPORTS cell)


# EXERCISE 4.3 — kl_divergence
def kl_divergence(mu, logvar):
    return -0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)
