"""The uniform form uses U(-std, std): the bound is taken for the standard deviation.

loses: S3.1
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.1 — init_with_std_
def init_with_std_(weight, std, distribution="normal"):
    with torch.no_grad():
        if distribution == "normal":
            return weight.normal_(0.0, std)
        if distribution == "uniform":
            return weight.uniform_(-std, std)
    raise ValueError(distribution)
