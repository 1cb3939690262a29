"""The deep stack with He's variance 2 / width used as the standard deviation.

loses: S3.3
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.3 — activation_statistics
def activation_statistics(init, activation, *, depth=50, width=256, n_samples=256, seed=0):
    sigmas = {"normal": 1.0, "small": 0.01, "xavier": 1 / width, "he": 2 / width}
    functions = {"tanh": torch.tanh, "relu": torch.relu}
    if init not in sigmas or activation not in functions:
        raise ValueError("unknown init or activation")
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(n_samples, width, generator=g, dtype=torch.float64)
    means, stds = [], []
    for _ in range(depth):
        W = torch.randn(width, width, generator=g, dtype=torch.float64) * sigmas[init]
        h = functions[activation](h @ W)
        means.append(h.mean())
        stds.append(h.std())
    return torch.stack(means), torch.stack(stds)
