"""A VAE whose decoder ends with a sigmoid: it returns probabilities where logits are expected.

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
        self.mu_head = nn.Linear(hidden, latent_dim)
        self.logvar_head = nn.Linear(hidden, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, in_features), nn.Sigmoid()
        )

    def encode(self, x):
        h = self.encoder(x)
        return self.mu_head(h), self.logvar_head(h)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x, generator=None):
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar, generator)), mu, logvar
