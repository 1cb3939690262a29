"""S1.7 Rosenblatt's perceptron: the rule, its mistakes per epoch, convergence and cycling.

Separable data come from ``grader/datasets/separable.py`` (a margin, so the convergence theorem
bounds the number of mistakes); the rule is deterministic (zeros at the start, examples in
their order, ``step(0) = 1``), so the mistakes per epoch and the final weights are compared
exactly with the reference. Moons are not linearly separable: training must run out of epochs.
"""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_moons

from torchgrade import expect
from torchgrade.datasets.separable import separable

pytestmark = pytest.mark.section("S1.7")


def _fit(student, X, y, **kwargs):
    model = student.sem1_backprop.Perceptron(**kwargs)
    args = ", ".join(f"{k}={v:g}" for k, v in kwargs.items())
    what = f"Perceptron({args}).fit(X, y) on {len(X)} examples"
    history = model.fit(X, y)
    assert isinstance(history, list) and all(
        isinstance(m, int) and not isinstance(m, bool) for m in history
    ), f"{what} should return a list of ints (mistakes per epoch), got {expect.kind(history)}"
    return model, history, what


@pytest.mark.points(0.3)
@pytest.mark.public
def test_converges_on_separable_data(student, seed):
    X, y = separable(seed, n=60 + seed % 40, d=2 + seed % 3)
    model, history, what = _fit(student, X, y, max_epochs=500)
    assert history and history[-1] == 0, (
        f"{what}: the last epoch made {history[-1] if history else '?'} mistakes; on linearly "
        "separable data the rule converges, and training stops after an epoch without mistakes"
    )
    assert all(m > 0 for m in history[:-1]), (
        f"{what}: mistakes per epoch {history}: stop after the first epoch without a mistake"
    )
    pred = expect.array(model.predict(X), what=f"predict(X) after {what}", shape=(len(X),))
    assert torch.equal(pred, torch.from_numpy(y)), (
        f"predict(X) after {what} misclassifies {int((pred != torch.from_numpy(y)).sum())} "
        "training examples; after convergence it should get them all right"
    )


@pytest.mark.points(0.3)
def test_mistakes_and_weights_follow_the_rule(student, ref, seed):
    X, y = separable(seed + 7, n=40, d=3, margin=0.1)
    model, history, what = _fit(student, X, y, max_epochs=500)
    want = ref.sem1_backprop.Perceptron(max_epochs=500)
    want_history = want.fit(X, y)
    assert history == want_history, (
        f"{what}: mistakes per epoch {history}, expected {want_history} (w = 0 and b = 0 at "
        "first, examples in their order, step(0) = 1, update only on a mistake)"
    )
    w = expect.array(model.w, what=f"w after {what}", shape=(3,))
    expect.close(w, torch.from_numpy(want.w), what=f"w after {what}", rtol=1e-12, atol=1e-12)
    b = expect.number(model.b, what=f"b after {what}")
    assert abs(b - want.b) <= 1e-12, f"b after {what} is {b:g}, expected {want.b:g}"


@pytest.mark.points(0.2)
def test_learning_rate_scales_the_updates(student, ref, seed):
    X, y = separable(seed + 3, n=30, d=2)
    lr = (0.1, 0.5, 2.0)[seed % 3]
    model, history, what = _fit(student, X, y, lr=lr, max_epochs=500)
    want = ref.sem1_backprop.Perceptron(lr=lr, max_epochs=500)
    want_history = want.fit(X, y)
    assert history == want_history, f"{what}: mistakes per epoch {history}, expected {want_history}"
    w = expect.array(model.w, what=f"w after {what}", shape=(2,))
    expect.close(
        w,
        torch.from_numpy(want.w),
        what=f"w after {what} (each step is lr * error * x)",
        rtol=1e-12,
        atol=1e-12,
    )


@pytest.mark.points(0.2)
def test_runs_out_of_epochs_on_moons(student, seed):
    X, y = make_moons(n_samples=100, noise=0.1, random_state=seed % 1000)
    epochs = 15 + seed % 10
    _, history, what = _fit(student, X, y.astype(np.float64), max_epochs=epochs)
    assert len(history) == epochs and min(history) > 0, (
        f"{what}: mistakes per epoch {history}; moons are not linearly separable, so every one "
        f"of the max_epochs = {epochs} epochs should make mistakes (and count them)"
    )
