"""opt_D.zero_grad() never called: the gradients the generator's backward leaves in D add up
into the next discriminator step.

loses: 4.7
"""
# ruff: noqa: F821 (the losses come from the solution's cells)


# EXERCISE 4.7 — gan_step
def gan_step(G, D, opt_G, opt_D, real, z):
    fake = G(z)
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    g_loss = generator_loss(D(fake))
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    return d_loss.item(), g_loss.item()
