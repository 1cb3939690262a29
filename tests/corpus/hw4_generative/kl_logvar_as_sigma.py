"""log σ² read as σ inside the KL: σ² = logvar², log σ² = log(logvar²).

loses: 4.3
"""
# ruff: noqa: F821 (torch comes from the solution's IMPORTS cell)


# EXERCISE 4.3 — kl_divergence
def kl_divergence(mu, logvar):
    var = logvar.pow(2)
    return 0.5 * (mu.pow(2) + var - 1 - torch.log(var)).sum(dim=1)
