"""scikit-learn's bundled handwritten digits (8×8 images) as float tensors in ``[0, 1]``.

``load_digits`` ships with scikit-learn (1797 images, nothing is downloaded). Pixels are
integers 0..16; dividing by 16 gives intensities in ``[0, 1]``, which a VAE with a Bernoulli
likelihood reads as the probability that a pixel is "on".
"""

import torch
from sklearn.datasets import load_digits


def digits() -> tuple[torch.Tensor, torch.Tensor]:
    """All 1797 digits.

    Returns:
        ``(X, y)``: float32 ``(1797, 64)`` pixels in ``[0, 1]`` (rows of the 8×8 image, one
        after another) and int64 ``(1797,)`` labels 0..9.
    """
    data = load_digits()
    X = torch.as_tensor(data.data, dtype=torch.float32) / 16.0
    return X, torch.as_tensor(data.target, dtype=torch.long)


def digits_split(seed: int, test_size: int = 300) -> tuple[torch.Tensor, ...]:
    """The digits shuffled by ``seed`` and split into train and held-out parts.

    Returns:
        ``(X_train, X_test, y_train, y_test)``: ``(1797 - test_size, 64)``, ``(test_size, 64)``
        and their labels.
    """
    X, y = digits()
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))
    test, train = order[:test_size], order[test_size:]
    return X[train], X[test], y[train], y[test]
