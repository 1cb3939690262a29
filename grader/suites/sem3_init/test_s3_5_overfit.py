"""S3.5 Can the model over-fit 20 samples? A verdict function, judged on trusted models.

The models come from the probes (torch's layers, weights drawn from the test's worker seed;
the points and labels from its data seed, here), so this section never depends on the student's
activations or initializers. A healthy MLP must be declared able to over-fit 20 points with
random labels; a linear model must not be, on XOR labels that no line separates. The thresholds
hold for the reference on every one of 100 run seeds (``bench/thresholds_sem3_init.py``). The
reported accuracy and loss are recomputed here, in the grader's own MLP holding the trained
weights that came back from the worker.
"""

import math

import pytest
import torch
from torch.nn import functional as F

from torchgrade import expect
from torchgrade.probes.sem3_init import mlp as probe_mlp

pytestmark = pytest.mark.section("S3.5")

PROBES = "torchgrade.probes.sem3_init"
KEYS = {"overfits", "train_accuracy", "final_loss", "losses"}
# Two points almost on top of each other with different labels (0.006 apart on one of 100 run
# seeds) take a net far more than 300 steps to tell apart: no two points are closer than this.
MIN_GAP = 0.2


def random_labels(seed: int, n: int = 20):
    """``n`` points of N(0, I) in 2-D, none closer than MIN_GAP to an earlier one (redrawn),
    with labels of a fair coin: only memorizing fits them."""
    g = torch.Generator().manual_seed(seed)
    X = torch.empty(0, 2)
    while len(X) < n:
        point = torch.randn(1, 2, generator=g)
        if len(X) == 0 or torch.cdist(point, X).min() >= MIN_GAP:
            X = torch.cat([X, point])
    y = (torch.rand(n, generator=g) < 0.5).float()
    y[0], y[1] = 0.0, 1.0  # both classes, always
    return X, y


def xor(seed: int, n: int = 20):
    """Four clusters around (+-1, +-1), label 1 where the coordinates' signs differ."""
    g = torch.Generator().manual_seed(seed)
    corners = torch.tensor([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    X = corners.repeat(math.ceil(n / 4), 1)[:n] + 0.1 * torch.randn(n, 2, generator=g)
    y = (X[:, 0] * X[:, 1] < 0).float()
    return X, y


def trained_logits(state: object, X: torch.Tensor, what: str) -> torch.Tensor:
    """Flat logits of the grader's own 2-8-8-1 MLP holding the weights that came back."""
    if not isinstance(state, dict):
        raise AssertionError(f"{what}: the model's state_dict did not come back as a dict")
    net = probe_mlp(0, hidden=8)
    try:
        net.load_state_dict({k: expect.tensor(v, what=f"{what}: state_dict()[{k!r}]", dtype=None)
                             for k, v in state.items()})  # fmt: skip
    except (RuntimeError, KeyError) as exc:
        raise AssertionError(
            f"{what}: the model's state_dict no longer fits the MLP: {str(exc)[:300]}"
        ) from None
    with torch.no_grad():
        return net.eval()(X).reshape(-1)


def _report(value, epochs: int, what: str) -> dict:
    assert isinstance(value, dict) and set(value) == KEYS, (
        f"{what} should return a dict with the keys {sorted(KEYS)}, got {expect.kind(value)}"
        + (f" with keys {sorted(value)}" if isinstance(value, dict) else "")
    )
    assert isinstance(value["overfits"], bool), f"{what}['overfits'] should be a bool"
    expect.losses(value["losses"], epochs, what)
    for key in ("train_accuracy", "final_loss"):
        assert isinstance(value[key], float), f"{what}['{key}'] should be a Python float"
    return value


@pytest.mark.points(0.25)
@pytest.mark.public
def test_healthy_mlp_overfits_20_samples(student, seed, worker_seed):
    X, y = random_labels(seed)
    model = student.import_module(PROBES).mlp(worker_seed)
    what = "overfit_small_batch(mlp, X, y) on 20 points with random labels"
    report = _report(student.sem3_init.overfit_small_batch(model, X, y), 300, what)
    assert report["overfits"] and report["train_accuracy"] == 1.0, (
        f"{what}: a 2-64-64-1 ReLU MLP memorizes 20 points in 300 Adam steps (lr 0.01); your "
        f"verdict is {report['overfits']} with train accuracy {report['train_accuracy']:.2f} "
        f"and final loss {report['final_loss']:.3g}"
    )
    assert report["losses"][-1] < 0.5 * report["losses"][0], f"{what}: the loss should go down"


@pytest.mark.points(0.25)
def test_linear_model_cannot_overfit_xor(student, seed, worker_seed):
    X, y = xor(seed)
    model = student.import_module(PROBES).linear(worker_seed)
    what = "overfit_small_batch(linear, X, y) on 20 XOR points"
    report = _report(student.sem3_init.overfit_small_batch(model, X, y, epochs=100), 100, what)
    assert not report["overfits"] and report["train_accuracy"] < 1.0, (
        f"{what}: no line separates XOR, so the verdict should be False; got "
        f"{report['overfits']} with train accuracy {report['train_accuracy']:.2f}"
    )


@pytest.mark.points(0.25)
def test_uses_only_the_first_n_samples(student, seed, worker_seed):
    X, y = random_labels(seed, n=200)
    probes = student.import_module(PROBES)
    model = probes.recording(probes.mlp(worker_seed))
    what = "overfit_small_batch(model, X, y, n_samples=20, epochs=5) with X of shape (200, 2)"
    _report(student.sem3_init.overfit_small_batch(model, X, y, n_samples=20, epochs=5), 5, what)
    rows = list(model.rows)
    assert rows and set(rows) == {20}, (
        f"{what}: the model should only ever see the first 20 rows (full batch), but it was "
        f"called on batches of {sorted(set(rows))} rows"
    )
    assert len(rows) >= 5, f"{what}: 5 epochs need at least 5 forward passes, got {len(rows)}"


@pytest.mark.points(0.25)
def test_reported_numbers_match_the_trained_model(student, seed, worker_seed):
    X, y = random_labels(seed + 1, n=40)
    probes = student.import_module(PROBES)
    model = probes.mlp(worker_seed, hidden=8)
    what = "overfit_small_batch(mlp, X, y.reshape(-1, 1), n_samples=20, epochs=40)"
    report = _report(
        student.sem3_init.overfit_small_batch(model, X, y.reshape(-1, 1), n_samples=20, epochs=40),
        40,
        what,
    )
    assert not student.probes.is_training(model), f"{what} should leave the model in eval mode"
    logits = trained_logits(student.probes.state_dict(model), X[:20], what)
    y20 = y[:20]
    accuracy = ((logits > 0).float() == y20).float().mean().item()
    loss = F.binary_cross_entropy_with_logits(logits, y20).item()
    assert abs(report["train_accuracy"] - accuracy) < 1e-6, (
        f"{what}: train_accuracy is {report['train_accuracy']:.3f}, but the trained model "
        f"classifies {accuracy:.3f} of the 20 samples correctly (predict logit > 0)"
    )
    assert abs(report["final_loss"] - loss) < 1e-4 * max(1.0, loss), (
        f"{what}: final_loss is {report['final_loss']:.4g}, but the trained model's mean BCE on "
        f"the 20 samples is {loss:.4g} (measure it after the last step)"
    )
    assert report["overfits"] == (accuracy == 1.0 and loss < 0.1), (
        f"{what}: overfits should be (train_accuracy == 1.0 and final_loss < 0.1)"
    )
