"""Correct preprocessing written differently: the biased std from torch.std_mean, the guard
with masked assignment, clones before arithmetic.

loses: nothing
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.4 — preprocess
def preprocess(X_train, X_test, *, scale=True):
    std, mean = torch.std_mean(X_train, dim=0, correction=0)
    train, test = X_train.clone() - mean, X_test.clone() - mean
    if scale:
        std = std.clone()
        std[std == 0] = 1.0
        train, test = train / std, test / std
    return train, test
