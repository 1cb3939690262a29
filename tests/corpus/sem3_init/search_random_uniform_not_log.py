"""Random search drawing the values uniformly on the linear scale: almost every learning rate
lands in the top decade of the range.

loses: S3.6
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.6 — random_search_points
def random_search_points(lr_range, wd_range, n_trials, seed=0):
    g = torch.Generator().manual_seed(seed)
    u = torch.rand(n_trials, 2, generator=g, dtype=torch.float64)
    lr = lr_range[0] + u[:, 0] * (lr_range[1] - lr_range[0])
    wd = wd_range[0] + u[:, 1] * (wd_range[1] - wd_range[0])
    return [(float(a), float(b)) for a, b in zip(lr, wd)]
