"""Xavier without its gain: the argument is accepted and never used.

loses: S3.1
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.1 — xavier_
def xavier_(weight, gain=1.0, distribution="normal"):
    fan_in, fan_out = fan_in_and_fan_out(weight.shape)
    return init_with_std_(weight, math.sqrt(2.0 / (fan_in + fan_out)), distribution)
