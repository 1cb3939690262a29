"""S3.4 Preprocessing: mean subtraction and normalization with the train set's statistics.

The test set is drawn from a shifted and stretched distribution, so normalizing it with its own
statistics (the classic leak) gives visibly different numbers. Both the biased and the unbiased
standard deviation are accepted: each expected value is computed both ways, and the answer must
match one of them.
"""

import pytest
import torch

from torchgrade import expect

pytestmark = pytest.mark.section("S3.4")

PROBES = "torchgrade.probes.sem3_init"
TOL = {"rtol": 1e-4, "atol": 1e-5}


def _data(seed: int, n_train: int = 60, n_test: int = 25, d: int = 4):
    g = torch.Generator().manual_seed(seed)
    mean, std = torch.rand(d, generator=g) * 10 - 5, torch.rand(d, generator=g) * 4 + 0.5
    X_train = torch.randn(n_train, d, generator=g) * std + mean
    # The test set comes from elsewhere: its own statistics are not the train set's.
    X_test = torch.randn(n_test, d, generator=g) * (2 * std) + mean + 3 * std
    return X_train, X_test


def _candidates(X_train: torch.Tensor, X: torch.Tensor, scale: bool) -> list[torch.Tensor]:
    mu = X_train.mean(dim=0)
    if not scale:
        return [X - mu]
    out = []
    for correction in (1, 0):
        s = X_train.std(dim=0, correction=correction)
        out.append((X - mu) / torch.where(s > 0, s, torch.ones_like(s)))
    return out


def _check_pair(got, X_train, X_test, scale: bool, what: str) -> None:
    assert isinstance(got, (tuple, list)) and len(got) == 2, (
        f"{what} should return a tuple (X_train', X_test'), got {expect.kind(got)}"
    )
    tr = expect.tensor(got[0], what=f"X_train' of {what}", shape=tuple(X_train.shape))
    te = expect.tensor(got[1], what=f"X_test' of {what}", shape=tuple(X_test.shape))
    for name, value, X in (("X_train'", tr, X_train), ("X_test'", te, X_test)):
        assert bool(torch.isfinite(value).all()), f"{name} of {what} contains NaN or infinity"
        wants = _candidates(X_train, X, scale)
        if not any(torch.allclose(value.double(), w.double(), **TOL) for w in wants):
            own = _candidates(X, X, scale)
            leak = name == "X_test'" and any(
                torch.allclose(value.double(), w.double(), **TOL) for w in own
            )
            assert not leak, (
                f"{what}: X_test' was normalized with the TEST set's own mean and std; use the "
                "train set's statistics for both sets (the test set is data never seen)"
            )
            expect.close(value, wants[0], what=f"{name} of {what}", **TOL)


@pytest.mark.points(0.25)
@pytest.mark.public
def test_train_set_gets_zero_mean_unit_std(student, seed):
    X_train, X_test = _data(seed, n_train=200)
    what = "preprocess(X_train, X_test) for X_train (200, 4), X_test (25, 4)"
    tr, _ = student.sem3_init.preprocess(X_train, X_test)
    tr = expect.tensor(tr, what=f"X_train' of {what}", shape=(200, 4))
    assert tr.mean(dim=0).abs().max().item() < 1e-4, f"X_train' of {what} should have mean 0"
    assert (tr.std(dim=0) - 1).abs().max().item() < 0.01, (
        f"X_train' of {what} should have standard deviation 1 in every feature"
    )


@pytest.mark.points(0.5)
def test_test_set_uses_train_statistics(student, seed):
    X_train, X_test = _data(seed)
    what = "preprocess(X_train, X_test) for X_train (60, 4), X_test (25, 4)"
    _check_pair(student.sem3_init.preprocess(X_train, X_test), X_train, X_test, True, what)


@pytest.mark.points(0.25)
def test_centering_only_constant_feature_and_inputs_untouched(student, seed):
    X_train, X_test = _data(seed + 1)
    fn = student.sem3_init.preprocess
    what = "preprocess(X_train, X_test, scale=False)"
    _check_pair(fn(X_train, X_test, scale=False), X_train, X_test, False, what)
    X_train[:, 2], X_test[:, 2] = 7.0, 8.5  # a constant feature: std 0
    what = "preprocess(X_train, X_test) where feature 2 is constant in X_train"
    result = student.import_module(PROBES).call_watching_inputs(fn, X_train, X_test)
    _check_pair(result["output"], X_train, X_test, True, what)
    assert not result["inputs_modified"], (
        "preprocess(X_train, X_test) modifies its inputs in place: return new tensors"
    )
