"""1.1 Data: load_moons and standardize."""

import math

import pytest
import torch
from sklearn.datasets import make_moons

from torchgrade import expect

pytestmark = pytest.mark.section("1.1")


def _draw_params(seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {
        "n_samples": int(torch.randint(200, 600, (1,), generator=g)),
        "noise": round(float(torch.rand(1, generator=g)) * 0.3 + 0.05, 3),
        "test_size": [0.2, 0.25, 0.3][int(torch.randint(0, 3, (1,), generator=g))],
        "random_state": int(torch.randint(0, 10_000, (1,), generator=g)),
    }


def _check_split(result, params: dict) -> tuple:
    """The four tensors with the shapes any fair split gives; returns them."""
    what = "load_moons({})".format(", ".join(f"{k}={v}" for k, v in params.items()))
    if not isinstance(result, tuple) or len(result) != 4:
        raise AssertionError(
            f"{what} should return a tuple (X_train, X_test, y_train, y_test), "
            f"got {expect.kind(result)}"
        )
    n = params["n_samples"]
    X_train, X_test, y_train, y_test = result
    expect.tensor(X_test, what=f"X_test of {what}", shape=(None, 2))
    n_test = X_test.shape[0]
    # Rounding the test size up or down is a fair reading of "test_size".
    allowed = {math.floor(params["test_size"] * n), math.ceil(params["test_size"] * n)}
    assert n_test in allowed, (
        f"{what} should hold out test_size·n = {params['test_size'] * n:g} points, got {n_test}"
    )
    expect.tensor(X_train, what=f"X_train of {what}", shape=(n - n_test, 2))
    expect.tensor(y_train, what=f"y_train of {what}", shape=(n - n_test,))
    expect.tensor(y_test, what=f"y_test of {what}", shape=(n_test,))
    for name, y in (("y_train", y_train), ("y_test", y_test)):
        assert set(y.unique().tolist()) <= {0.0, 1.0}, (
            f"{name} of {what} should hold only 0. and 1."
        )
    return X_train, X_test, y_train, y_test


@pytest.mark.points(0.5)
@pytest.mark.public
def test_load_moons_default_shapes(student):
    _check_split(
        student.hw1_basics.load_moons(),
        {"n_samples": 1000, "noise": 0.2, "test_size": 0.25, "random_state": 0},
    )


@pytest.mark.points(0.5)
def test_load_moons_splits_the_make_moons_points(student, seed):
    params = _draw_params(seed)
    X_train, X_test, y_train, y_test = _check_split(student.hw1_basics.load_moons(**params), params)
    X_all, y_all = make_moons(
        n_samples=params["n_samples"], noise=params["noise"], random_state=params["random_state"]
    )
    X_all = torch.as_tensor(X_all, dtype=torch.float32)
    got_X, got_y = torch.cat([X_train, X_test]), torch.cat([y_train, y_test])
    # Any split is fair: match every returned point to its make_moons point, each used once.
    nearest = torch.cdist(got_X.double(), X_all.double()).min(dim=1)
    assert bool((nearest.values < 1e-5).all()), (
        "load_moons returns points that are not make_moons(n_samples, noise, random_state)'s"
    )
    assert nearest.indices.unique().numel() == params["n_samples"], (
        "load_moons should use every make_moons point exactly once across train and test"
    )
    labels = torch.as_tensor(y_all, dtype=torch.float32)[nearest.indices]
    assert torch.equal(got_y, labels), "load_moons returns labels that do not match their points"


def _features(seed: int, n: int, d: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    # Columns of very different scales and offsets: a global mean/std is visibly wrong.
    scale = torch.logspace(-1, 2, d)
    return torch.randn(n, d, generator=g) * scale + torch.linspace(-50, 50, d)


def _train_stats(X: torch.Tensor):
    mean = X.mean(dim=0)
    return mean, X.std(dim=0, correction=0), X.std(dim=0, correction=1)


@pytest.mark.points(0.25)
@pytest.mark.public
def test_standardize_train_has_zero_mean_unit_std(student, seed):
    X_train, X_test = _features(seed, 40, 3), _features(seed + 1, 10, 3)
    Xs, _ = student.hw1_basics.standardize(X_train, X_test)
    expect.tensor(Xs, what="standardize(X_train, X_test)[0] for X_train (40, 3)", shape=(40, 3))
    assert Xs.mean(dim=0).abs().max() < 1e-4, "every column of X_train_s should have mean 0"
    biased, unbiased = Xs.std(dim=0, correction=0), Xs.std(dim=0, correction=1)
    # Either standard deviation is a correct reading: accept unit std under one of them.
    assert bool(((biased - 1).abs() < 1e-3).all() or ((unbiased - 1).abs() < 1e-3).all()), (
        "every column of X_train_s should have standard deviation 1 (population or sample std)"
    )


@pytest.mark.points(0.5)
def test_standardize_uses_train_statistics_for_test(student, seed):
    X_train = _features(seed, 60, 4)
    X_test = _features(seed + 7, 25, 4) + 3.0  # shifted: its own statistics differ from train's
    _, test_s = student.hw1_basics.standardize(X_train, X_test)
    mean, std_pop, std_sample = _train_stats(X_train)
    what = "standardize(X_train, X_test)[1] for X_test (25, 4)"
    expect.tensor(test_s, what=what, shape=(25, 4))
    matches = [
        torch.allclose(test_s, (X_test - mean) / s, rtol=1e-4, atol=1e-4)
        for s in (std_pop, std_sample)
    ]
    assert any(matches), (
        f"{what} should be (X_test - mean) / std with the per-column mean and std of X_train "
        "(not X_test's own statistics, and not one mean/std over all columns)"
    )


@pytest.mark.points(0.25)
def test_standardize_train_matches_formula(student, seed):
    X_train, X_test = _features(seed, 33, 5), _features(seed + 3, 8, 5)
    train_s, _ = student.hw1_basics.standardize(X_train, X_test)
    mean, std_pop, std_sample = _train_stats(X_train)
    what = "standardize(X_train, X_test)[0] for X_train (33, 5)"
    expect.tensor(train_s, what=what, shape=(33, 5))
    assert any(
        torch.allclose(train_s, (X_train - mean) / s, rtol=1e-4, atol=1e-4)
        for s in (std_pop, std_sample)
    ), f"{what} should be (X_train - mean) / std per column"
