"""He initialization with the variance 2 / fan passed as the standard deviation.

loses: S3.1
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.1 — he_
def he_(weight, mode="fan_in", gain=math.sqrt(2.0), distribution="normal"):
    fan_in, fan_out = fan_in_and_fan_out(weight.shape)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(mode)
    fan = fan_in if mode == "fan_in" else fan_out
    return init_with_std_(weight, gain**2 / fan, distribution)
