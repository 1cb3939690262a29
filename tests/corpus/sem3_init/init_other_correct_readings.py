"""Correct initializers written differently: fans from a loop, copy_ of randn_like under
no_grad, uniform from rand_like, Xavier through fan_avg, LeCun written out on its own.

loses: nothing
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.1 — fan_in_and_fan_out
def fan_in_and_fan_out(shape):
    dims = list(shape)
    if len(dims) <= 1:
        raise ValueError("a weight has at least two dimensions")
    receptive = 1
    for k in dims[2:]:
        receptive *= k
    fan_in = dims[1] * receptive
    fan_out = dims[0] * receptive
    return fan_in, fan_out


# EXERCISE S3.1 — init_with_std_
def init_with_std_(weight, std, distribution="normal"):
    if distribution not in ("normal", "uniform"):
        raise ValueError("unknown distribution")
    with torch.no_grad():
        if distribution == "normal":
            weight.copy_(torch.randn_like(weight) * std)
        else:
            a = std * 3**0.5
            weight.copy_(a * (2 * torch.rand_like(weight) - 1))
    return weight


# EXERCISE S3.1 — xavier_
def xavier_(weight, gain=1.0, distribution="normal"):
    fan_in, fan_out = fan_in_and_fan_out(weight.shape)
    fan_avg = (fan_in + fan_out) / 2
    return init_with_std_(weight, gain * (1 / fan_avg) ** 0.5, distribution)


# EXERCISE S3.1 — lecun_
def lecun_(weight, mode="fan_in", distribution="normal"):
    fans = dict(zip(("fan_in", "fan_out"), fan_in_and_fan_out(weight.shape)))
    if mode not in fans:
        raise ValueError(mode)
    return init_with_std_(weight, fans[mode] ** -0.5, distribution)
