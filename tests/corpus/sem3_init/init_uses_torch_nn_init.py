"""Xavier delegated to torch.nn.init: right numbers, forbidden API.

loses: S3.1
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.1 — xavier_
def xavier_(weight, gain=1.0, distribution="normal"):
    if distribution == "normal":
        return nn.init.xavier_normal_(weight, gain=gain)
    return nn.init.xavier_uniform_(weight, gain=gain)
