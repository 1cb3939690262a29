"""The minimax generator loss log(1 - D(G(z))) (written stably): it saturates, no gradient
where the discriminator rejects the fakes.

loses: 4.6
"""
# ruff: noqa: F821 (torch and F come from the solution's IMPORTS cell)


# EXERCISE 4.6 — generator_loss
def generator_loss(fake_logits):
    return -F.softplus(fake_logits).mean()
