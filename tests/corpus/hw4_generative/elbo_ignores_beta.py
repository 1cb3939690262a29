"""beta accepted and ignored: always the plain VAE.

loses: 4.3
"""
# ruff: noqa: F821 (torch, F and kl_divergence come from the solution's cells)


# EXERCISE 4.3 — elbo
def elbo(x, logits, mu, logvar, beta=1.0):
    rec = -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
    return (rec - kl_divergence(mu, logvar)).mean()
