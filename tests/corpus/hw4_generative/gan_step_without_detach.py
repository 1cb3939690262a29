"""The discriminator step without fake.detach(), all gradients zeroed once at the start: the
generator's update then also follows the discriminator's loss.

loses: 4.7
"""
# ruff: noqa: F821 (the losses come from the solution's cells)


# EXERCISE 4.7 — gan_step
def gan_step(G, D, opt_G, opt_D, real, z):
    opt_D.zero_grad()
    opt_G.zero_grad()
    fake = G(z)
    d_loss = discriminator_loss(D(real), D(fake))
    d_loss.backward(retain_graph=True)
    opt_D.step()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
    return d_loss.item(), g_loss.item()
