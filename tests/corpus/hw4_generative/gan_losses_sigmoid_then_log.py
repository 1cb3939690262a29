"""Both GAN losses through sigmoid + log: right for moderate logits, inf for large ones.

loses: 4.6
"""
# ruff: noqa: F821 (torch comes from the solution's IMPORTS cell)


# EXERCISE 4.6 — discriminator_loss
def discriminator_loss(real_logits, fake_logits):
    real = -torch.log(torch.sigmoid(real_logits)).mean()
    fake = -torch.log(1 - torch.sigmoid(fake_logits)).mean()
    return real + fake


# EXERCISE 4.6 — generator_loss
def generator_loss(fake_logits):
    return -torch.log(torch.sigmoid(fake_logits)).mean()
