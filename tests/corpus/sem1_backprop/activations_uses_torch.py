"""logistic through torch.sigmoid: the seminar is NumPy only (a forbidden-API rule).

loses: S1.1
"""
# ruff: noqa: F821 (np comes from the solution's IMPORTS cell)


# EXERCISE S1.1 — logistic
def logistic(z):
    import torch

    return torch.sigmoid(torch.from_numpy(z)).numpy()
