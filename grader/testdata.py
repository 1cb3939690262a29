"""Inputs that hidden tests draw from their seed and share across sections (and the bench).

They live in the trusted process: a test draws them, sends what the call needs to the
worker, and keeps the rest (the held-out labels) to judge the answer.
"""

import torch
from sklearn.datasets import make_moons


def moons_split(seed: int, n: int = 2000, noise: float = 0.2):
    """A moons data set drawn from ``seed``: 3/4 train, 1/4 test, standardized with the train
    part's statistics.

    Returns:
        ``(X_train, X_test, y_train, y_test)``: float32 ``(3n/4, 2)``, ``(n/4, 2)``, and labels
        ``(3n/4,)``, ``(n/4,)`` of 0./1.
    """
    g = torch.Generator().manual_seed(seed)
    random_state = int(torch.randint(0, 2**31 - 1, (1,), generator=g))
    X, y = make_moons(n_samples=n, noise=noise, random_state=random_state)
    X, y = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    order = torch.randperm(n, generator=g)
    test, train = order[: n // 4], order[n // 4 :]
    mean, std = X[train].mean(dim=0), X[train].std(dim=0)
    X = (X - mean) / std
    return X[train], X[test], y[train], y[test]
