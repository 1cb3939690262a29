"""Correct VAE exercises written differently: the noise from Tensor.normal_, Kingma's form of
the KL with σ² as std², the Bernoulli log-likelihood with softplus, an epoch mean weighted by batch size,
torch.lerp for the path.

loses: nothing
"""
# ruff: noqa: F821 (torch and F come from the solution's IMPORTS cell)


# EXERCISE 4.2 — reparameterize
def reparameterize(mu, logvar, generator=None):
    std = logvar.mul(0.5).exp()
    return std * torch.empty_like(mu).normal_(generator=generator) + mu


# EXERCISE 4.3 — kl_divergence
def kl_divergence(mu, logvar):
    std = torch.exp(logvar / 2)
    return -0.5 * torch.sum(1 + logvar - mu**2 - std**2, dim=-1)


# EXERCISE 4.3 — elbo
def elbo(x, logits, mu, logvar, beta=1.0):
    log_px = torch.sum(x * logits - F.softplus(logits), dim=1)
    return torch.mean(log_px - beta * kl_divergence(mu, logvar))


# EXERCISE 4.4 — train_vae
def train_vae(model, X, *, epochs=20, batch_size=64, lr=3e-3, beta=1.0, seed=0):
    gen = torch.Generator()
    gen.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _epoch in range(epochs):
        perm = torch.randperm(X.shape[0], generator=gen)
        total = 0.0
        for batch in perm.split(batch_size):
            xb = X[batch]
            mu, logvar = model.encode(xb)
            z = reparameterize(mu, logvar, gen)
            loss = -elbo(xb, model.decode(z), mu, logvar, beta=beta)
            opt.zero_grad(set_to_none=False)
            loss.backward()
            opt.step()
            total += loss.item() * len(batch)
        history.append(total / X.shape[0])
    return history


# EXERCISE 4.5 — sample
def sample(model, n, generator=None):
    with torch.no_grad():
        z = torch.randn((n, model.latent_dim), generator=generator)
        return model.decode(z).sigmoid()


# EXERCISE 4.5 — interpolate
def interpolate(model, x_a, x_b, steps=8):
    with torch.no_grad():
        mu_a, _ = model.encode(x_a.unsqueeze(0))
        mu_b, _ = model.encode(x_b.unsqueeze(0))
        weights = torch.linspace(0, 1, steps).reshape(-1, 1)
        return torch.sigmoid(model.decode(torch.lerp(mu_a, mu_b, weights)))
