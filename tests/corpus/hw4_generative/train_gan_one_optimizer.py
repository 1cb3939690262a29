"""One Adam over both networks, passed as opt_G and opt_D: the generator step also moves D
with the gradients the generator's loss leaves in it.

loses: 4.7
"""
# ruff: noqa: F821 (torch and gan_step come from the solution's cells)


# EXERCISE 4.7 — train_gan
def train_gan(G, D, data, *, steps=1000, batch_size=128, lr=2e-3, seed=0, on_step=None):
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam([*G.parameters(), *D.parameters()], lr=lr, betas=(0.5, 0.999))
    history = {"d_loss": [], "g_loss": []}
    for step in range(1, steps + 1):
        real = data[torch.randint(0, len(data), (batch_size,), generator=g)]
        z = torch.randn(batch_size, G.latent_dim, generator=g)
        d_loss, g_loss = gan_step(G, D, opt, opt, real, z)
        history["d_loss"].append(d_loss)
        history["g_loss"].append(g_loss)
        if on_step is not None:
            on_step(step)
    return history
