"""The KL averaged over the latent dimensions instead of summed: k times too small.

loses: 4.3
"""
# ruff: noqa: F821 (torch comes from the solution's IMPORTS cell)


# EXERCISE 4.3 — kl_divergence
def kl_divergence(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).mean(dim=1)
