"""S3.3 The deep-stack experiment: activation statistics through 50 layers.

The student's draws need not be the reference's (any order of draws is fine), so the tests
judge the measured statistics against what the theory predicts, with ranges that hold for the
reference on every one of 100 run seeds (``bench/thresholds_sem3_init.py`` prints them) and that
every wrong scale misses by orders of magnitude: with 256 units, a layer multiplies the
activations' standard deviation by about ``sigma * sqrt(256)`` (tanh) or
``sigma * sqrt(256 / 2)`` (ReLU), compounded over 50 layers.

``activation_statistics`` runs in the worker and draws its inputs and weights from the seed it
is given: the test's worker seed, never its data seed.
"""

import math

import pytest
import torch

from torchgrade import expect
from torchgrade.remote import StudentError

pytestmark = pytest.mark.section("S3.3")

PROBES = "torchgrade.probes.sem3_init"
DEPTH = 50

# (activation, init) -> bounds on the std of layer 1 and of layer 50, and what they mean.
# A bound is (low, high); the bench prints the reference's range over 100 run seeds.
EXPECTED = {
    ("tanh", "normal"): ((0.95, 1.0), (0.95, 1.0), "saturates: every unit at -1 or +1"),
    ("tanh", "small"): ((0.14, 0.17), (0.0, 1e-30), "vanishes: each layer multiplies by ~0.16"),
    ("tanh", "xavier"): ((0.60, 0.66), (0.05, 0.2), "shrinks slowly, still alive at layer 50"),
    ("tanh", "he"): ((0.69, 0.75), (0.45, 0.65), "stays near 0.55"),
    ("relu", "normal"): ((8.0, 11.0), (1e45, 1e60), "explodes: each layer multiplies by ~11"),
    ("relu", "small"): ((0.08, 0.11), (0.0, 1e-42), "vanishes: each layer multiplies by ~0.11"),
    ("relu", "xavier"): ((0.55, 0.61), (1e-10, 1e-6), "halves the variance in every layer"),
    ("relu", "he"): ((0.78, 0.87), (0.05, 10.0), "keeps the variance (He's factor 2)"),
}


def _stats(student, init: str, activation: str, seed: int, **kwargs):
    call = f"activation_statistics({init!r}, {activation!r}, seed=...)"
    out = student.sem3_init.activation_statistics(init, activation, seed=seed, **kwargs)
    assert isinstance(out, (tuple, list)) and len(out) == 2, (
        f"{call} should return a tuple (means, stds), got {expect.kind(out)}"
    )
    depth = kwargs.get("depth", DEPTH)
    means = expect.tensor(out[0], what=f"the means of {call}", shape=(depth,), dtype=torch.float64)
    stds = expect.tensor(out[1], what=f"the stds of {call}", shape=(depth,), dtype=torch.float64)
    return means, stds, call


def _raises(call, type_name: str) -> bool:
    try:
        call()
    except StudentError as exc:
        return exc.type_name == type_name
    return False


@pytest.mark.points(0.25)
@pytest.mark.public
def test_shapes_dtype_and_seed(student, worker_seed):
    kwargs = {"depth": 6, "width": 32, "n_samples": 40}
    a = _stats(student, "he", "relu", worker_seed, **kwargs)
    b = _stats(student, "he", "relu", worker_seed, **kwargs)
    c = _stats(student, "he", "relu", worker_seed + 1, **kwargs)
    call = a[2]
    assert torch.equal(a[1], b[1]) and torch.equal(a[0], b[0]), (
        f"{call} should return the same statistics for the same seed (draw everything from a "
        "torch.Generator seeded with seed)"
    )
    assert not torch.equal(a[1], c[1]), f"{call} should give different statistics for another seed"
    fn = student.sem3_init.activation_statistics
    probes = student.import_module(PROBES)
    result = probes.rng_untouched(fn, "xavier", "tanh", seed=worker_seed, **kwargs)
    assert result["global_rng_untouched"], (
        f"{call} should leave torch's global generator alone: pass generator= to torch.randn"
    )
    assert _raises(lambda: fn("zeros", "relu", **kwargs), "ValueError"), (
        "activation_statistics('zeros', 'relu') should raise ValueError"
    )
    assert _raises(lambda: fn("he", "sigmoid", **kwargs), "ValueError"), (
        "activation_statistics('he', 'sigmoid') should raise ValueError"
    )


@pytest.mark.points(0.25)
def test_first_layer_matches_theory(student, worker_seed):
    # He + ReLU: z ~ N(0, 2), relu(z) has mean sqrt(2 / (2 pi)) = 0.564 and std sqrt(1 - 1/pi).
    means, stds, call = _stats(student, "he", "relu", worker_seed)
    want_mean, want_std = 1 / math.sqrt(math.pi), math.sqrt(1 - 1 / math.pi)
    assert abs(means[0].item() - want_mean) < 0.03, (
        f"{call}: layer 1 should have mean {want_mean:.3f} (relu of N(0, 2) pre-activations; "
        f"record the statistics AFTER the activation), got {means[0].item():.3g}"
    )
    assert abs(stds[0].item() - want_std) < 0.03, (
        f"{call}: layer 1 should have std {want_std:.3f} (relu of N(0, 2)), "
        f"got {stds[0].item():.3g}"
    )
    # Xavier + tanh: z ~ N(0, 1), E[tanh(z)] = 0, std(tanh(z)) = 0.628.
    means, stds, call = _stats(student, "xavier", "tanh", worker_seed)
    assert abs(means[0].item()) < 0.03 and abs(stds[0].item() - 0.628) < 0.03, (
        f"{call}: layer 1 should have mean 0 and std 0.628 (tanh of N(0, 1)), got mean "
        f"{means[0].item():.3g} and std {stds[0].item():.3g}"
    )


def _check_regimes(student, activation: str, seed: int) -> None:
    for init in ("normal", "small", "xavier", "he"):
        first, last, meaning = EXPECTED[(activation, init)]
        means, stds, call = _stats(student, init, activation, seed)
        assert bool(torch.isfinite(stds).all()) and bool(torch.isfinite(means).all()), (
            f"{call} contains NaN or infinity (compute in float64)"
        )
        for layer, (low, high), got in ((1, first, stds[0]), (DEPTH, last, stds[-1])):
            got = got.item()
            assert low <= got <= high, (
                f"{call}: the std of layer {layer} should be in [{low:.3g}, {high:.3g}] "
                f"({activation} with {init} weights {meaning}), got {got:.3g}"
            )
        if activation == "tanh":
            top = means.abs().max().item()
            assert top <= 0.1 * max(stds.max().item(), 1e-300), (
                f"{call}: tanh is odd, so every layer's mean should stay near 0, got {top:.3g}"
            )
        else:
            ratio = (means / stds).min().item(), (means / stds).max().item()
            assert 0.3 <= ratio[0] and ratio[1] <= 2.0, (
                f"{call}: ReLU outputs are non-negative, so every layer's mean should be a "
                f"sizeable positive fraction of its std; mean / std ranges over {ratio}"
            )


@pytest.mark.points(0.5)
@pytest.mark.timeout(120)
def test_tanh_stack(student, worker_seed):
    _check_regimes(student, "tanh", worker_seed)


@pytest.mark.points(0.5)
@pytest.mark.timeout(120)
def test_relu_stack(student, worker_seed):
    _check_regimes(student, "relu", worker_seed)
