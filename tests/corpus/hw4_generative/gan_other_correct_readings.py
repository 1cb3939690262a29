"""Correct GAN exercises written differently: losses with BCE-with-logits against ones and zeros
and with logsigmoid, the fakes recomputed for the generator step, gradients zeroed to zeros
(not None) and at more places than needed.

loses: nothing
"""
# ruff: noqa: F821 (torch and F come from the solution's IMPORTS cell)


# EXERCISE 4.6 — discriminator_loss
def discriminator_loss(real_logits, fake_logits):
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


# EXERCISE 4.6 — generator_loss
def generator_loss(fake_logits):
    return -F.logsigmoid(fake_logits).mean()


# EXERCISE 4.7 — gan_step
def gan_step(G, D, opt_G, opt_D, real, z):
    opt_G.zero_grad(set_to_none=False)
    opt_D.zero_grad(set_to_none=False)
    with torch.no_grad():
        fake = G(z)
    d_loss = discriminator_loss(D(real), D(fake))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad(set_to_none=False)
    g_loss = generator_loss(D(G(z)))
    g_loss.backward()
    opt_G.step()
    return float(d_loss), float(g_loss)


# EXERCISE 4.7 — train_gan
def train_gan(G, D, data, *, steps=1000, batch_size=128, lr=2e-3, seed=0, on_step=None):
    rng = torch.Generator().manual_seed(seed)
    optimizers = [
        torch.optim.Adam(net.parameters(), lr=lr, betas=(0.5, 0.999)) for net in (G, D)
    ]
    d_losses, g_losses = [], []
    for step in range(steps):
        idx = torch.randint(len(data), (batch_size,), generator=rng)
        noise = torch.randn(batch_size, G.latent_dim, generator=rng)
        d, g = gan_step(G, D, optimizers[0], optimizers[1], data[idx], noise)
        d_losses.append(d)
        g_losses.append(g)
        if on_step:
            on_step(step + 1)
    return {"d_loss": d_losses, "g_loss": g_losses}
