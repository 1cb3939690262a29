"""Linearly separable points with a guaranteed margin, for the perceptron (deterministic per seed).

sklearn's ``make_blobs`` only makes two clouds that are *usually* separable; the perceptron
convergence theorem needs data that *are*, with a margin ``gamma``: then the perceptron makes at
most ``(R / gamma)**2`` mistakes in all (``R`` the largest norm of an example with its bias
input 1). These points lie in the box ``[-2, 2]^d`` at least ``margin`` away from a random
hyperplane, so ``R**2 <= 4 d + 1`` and the bound is a number, not a hope.
"""

import numpy as np


def separable(
    seed: int, n: int = 200, d: int = 2, margin: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points labelled by the side of a random hyperplane, none within ``margin`` of it.

    Args:
        seed: fixes everything (the hyperplane and the points).
        n: the number of points; d: their dimension.
        margin: the smallest distance of a point to the separating hyperplane.

    Returns:
        ``(X, y)``: float64 ``(n, d)`` in ``[-2, 2]^d`` and labels ``(n,)`` of 0./1., both classes
        present.
    """
    rng = np.random.default_rng(seed)
    normal = rng.standard_normal(d)
    normal /= np.linalg.norm(normal)
    offset = rng.uniform(-0.5, 0.5)
    while True:
        X = rng.uniform(-2.0, 2.0, size=(8 * n, d))
        distance = X @ normal + offset
        X, distance = X[np.abs(distance) >= margin][:n], distance[np.abs(distance) >= margin][:n]
        y = (distance > 0).astype(np.float64)
        if len(X) == n and 0 < y.sum() < n:
            return X, y
