"""A grid spaced evenly on the linear scale: 1e-4, 0.50005, 1.0 for the learning rate.

loses: S3.6
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.6 — grid_search_points
def grid_search_points(lr_range, wd_range, n_trials):
    k = math.isqrt(n_trials)
    if k * k != n_trials or k < 1:
        raise ValueError("not a perfect square")
    lrs = torch.linspace(lr_range[0], lr_range[1], k, dtype=torch.float64).tolist()
    wds = torch.linspace(wd_range[0], wd_range[1], k, dtype=torch.float64).tolist()
    return [(lr, wd) for lr in lrs for wd in wds]
