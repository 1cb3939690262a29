"""fan_in_and_fan_out returns (fan_out, fan_in): reads the weight as (in, out), as in NumPy.

loses: S3.1
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.1 — fan_in_and_fan_out
def fan_in_and_fan_out(shape):
    if len(shape) < 2:
        raise ValueError("need 2 dimensions")
    receptive = math.prod(shape[2:])
    return shape[0] * receptive, shape[1] * receptive
