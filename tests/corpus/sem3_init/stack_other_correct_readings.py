"""A correct deep stack written differently: all weights drawn first, W @ h.T, the biased std
from torch.std_mean, Xavier as 2 / (fan_in + fan_out), statistics collected in a list.

loses: nothing
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.3 — activation_statistics
def activation_statistics(init, activation, *, depth=50, width=256, n_samples=256, seed=0):
    if activation == "tanh":
        act = torch.tanh
    elif activation == "relu":
        act = lambda t: t.clamp(min=0)  # noqa: E731
    else:
        raise ValueError(activation)
    if init == "normal":
        sigma = 1.0
    elif init == "small":
        sigma = 0.01
    elif init == "xavier":
        sigma = (2 / (width + width)) ** 0.5
    elif init == "he":
        sigma = (2 / width) ** 0.5
    else:
        raise ValueError(init)
    gen = torch.Generator()
    gen.manual_seed(seed)
    weights = torch.randn(depth, width, width, generator=gen, dtype=torch.float64) * sigma
    h = torch.randn(width, n_samples, generator=gen, dtype=torch.float64)
    out = []
    for W in weights:
        h = act(W @ h)
        std, mean = torch.std_mean(h, correction=0)
        out.append((mean, std))
    return torch.stack([m for m, _ in out]), torch.stack([s for _, s in out])
