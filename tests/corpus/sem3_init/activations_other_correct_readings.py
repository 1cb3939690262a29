"""Correct activations written differently: torch.maximum for LeakyReLU (slope < 1), the ELU
derivative as f(x) + alpha, SELU's constants as instance attributes, Maxout from stacked
matmuls, torch.max(...).values and parameters filled by uniform_.

loses: nothing
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.2 — LeakyReLU
class LeakyReLU(nn.Module):
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return torch.maximum(x, self.negative_slope * x)

    def derivative(self, x):
        d = torch.ones_like(x)
        d[x <= 0] = self.negative_slope
        return d


# EXERCISE S3.2 — ELU
class ELU(nn.Module):
    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        negative = self.alpha * (torch.exp(torch.clamp(x, max=0)) - 1)
        return torch.where(x > 0, x, negative)

    def derivative(self, x):
        return torch.where(x > 0, torch.ones_like(x), self.forward(x) + self.alpha)


# EXERCISE S3.2 — SELU
class SELU(nn.Module):
    def __init__(self):
        super().__init__()
        self.alpha = 1.67326324235437728481
        self.scale = 1.05070098735548049342

    def forward(self, x):
        pos = torch.relu(x)
        neg = self.alpha * (torch.exp(-torch.relu(-x)) - 1)
        return self.scale * (pos + neg)

    def derivative(self, x):
        return self.scale * torch.where(x > 0, 1.0, self.alpha * torch.exp(torch.clamp(x, max=0)))


# EXERCISE S3.2 — Maxout
class Maxout(nn.Module):
    def __init__(self, in_features, out_features, pieces=2):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.pieces = pieces
        b = in_features**-0.5
        self.weight = nn.Parameter(torch.empty(pieces, out_features, in_features).uniform_(-b, b))
        self.bias = nn.Parameter(torch.empty(pieces, out_features).uniform_(-b, b))

    def forward(self, x):
        z = torch.stack([x @ self.weight[k].T + self.bias[k] for k in range(self.pieces)])
        return torch.max(z, dim=0).values
