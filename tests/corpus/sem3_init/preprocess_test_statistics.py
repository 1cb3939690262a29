"""Each set normalized with its own statistics: the test set's mean and std leak in.

loses: S3.4
"""
# ruff: noqa: F821 (torch, nn and math come from the solution's IMPORTS cell)


# EXERCISE S3.4 — preprocess
def preprocess(X_train, X_test, *, scale=True):
    def one(X):
        mu = X.mean(dim=0)
        if not scale:
            return X - mu
        s = X.std(dim=0)
        return (X - mu) / torch.where(s > 0, s, torch.ones_like(s))

    return one(X_train), one(X_test)
