"""One linear layer of 2k outputs split into mu and logvar: the same model, another state_dict
layout than the documented one (mu_head, logvar_head), so weights cannot be exchanged.

loses: 4.1
"""
# ruff: noqa: F821 (torch, nn and reparameterize come from the solution's cells)


# EXERCISE 4.1 — VAE
class VAE(nn.Module):
    def __init__(self, in_features=64, hidden=128, latent_dim=2):
        super().__init__()
        self.in_features = in_features
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU())
        self.heads = nn.Linear(hidden, 2 * latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, in_features)
        )

    def encode(self, x):
        mu, logvar = self.heads(self.encoder(x)).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x, generator=None):
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar, generator)), mu, logvar
