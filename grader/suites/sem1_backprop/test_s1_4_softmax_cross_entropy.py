"""S1.4 Softmax and the mean softmax cross-entropy with its gradient, against torch.

``F.cross_entropy`` (mean over the batch) and its autograd are the oracle. Logits come in two
scales: ordinary, and in the thousands, where ``exp`` overflows unless each row's maximum is
subtracted first.
"""

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from torchgrade import expect

pytestmark = pytest.mark.section("S1.4")

PROBES = "torchgrade.probes.sem1_backprop"
SHAPES = ((7, 4), (12, 2), (5, 10), (3, 3))  # n >= 2: the batch of one has a test of its own


def _case(seed: int, scale: float = 3.0, shape: tuple[int, int] | None = None):
    rng = np.random.default_rng(seed)
    n, k = shape or SHAPES[seed % len(SHAPES)]
    logits = rng.normal(scale=scale, size=(n, k))
    return logits, rng.integers(0, k, size=n)


def _oracle(logits: np.ndarray, y: np.ndarray) -> tuple[float, torch.Tensor, torch.Tensor]:
    z = torch.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(z, torch.as_tensor(y))
    (grad,) = torch.autograd.grad(loss, z)
    return float(loss), grad, torch.softmax(z.detach(), dim=1)


def _loss_and_grad(student, logits, y, what):
    result = student.sem1_backprop.softmax_cross_entropy(logits, y)
    if not isinstance(result, tuple) or len(result) != 2:
        raise AssertionError(
            f"{what} should return a tuple (loss, grad), got {expect.kind(result)}"
        )
    loss = expect.number(result[0], what=f"{what}: the loss")
    grad = expect.array(result[1], what=f"{what}: the gradient", shape=logits.shape)
    return loss, grad


def _loss_close(got: float, want: float, what: str) -> None:
    assert np.isfinite(got), f"{what}: the loss is {got}, expected a finite number {want:.6g}"
    assert abs(got - want) <= 1e-8 + 1e-8 * abs(want), (
        f"{what}: the loss is {got:.10g}, expected {want:.10g} (the mean over the batch)"
    )


@pytest.mark.points(0.25)
@pytest.mark.public
def test_softmax_matches_torch(student, seed):
    logits, _ = _case(seed)
    what = f"softmax(logits) for logits of shape {expect.shape_text(logits.shape)}"
    got = expect.array(student.sem1_backprop.softmax(logits), what=what, shape=logits.shape)
    expect.close(
        got, torch.softmax(torch.from_numpy(logits), dim=1), what=what, rtol=1e-9, atol=1e-12
    )


@pytest.mark.points(0.25)
def test_softmax_subtracts_the_max_no_overflow(student, seed):
    logits, _ = _case(seed, scale=1000.0, shape=(6, 4))
    what = "softmax(logits) for logits in the thousands"
    got = expect.array(student.sem1_backprop.softmax(logits), what=what, shape=(6, 4))
    assert bool(torch.isfinite(got).all()), (
        f"{what} contains NaN or inf: exp(1000) overflows; subtract each row's maximum first "
        "(it cancels out)"
    )
    expect.close(
        got, torch.softmax(torch.from_numpy(logits), dim=1), what=what, rtol=1e-9, atol=1e-12
    )


@pytest.mark.points(0.2)
@pytest.mark.parametrize("batch", ["batch_of_1", "batch_of_many"])
def test_loss_and_gradient_match_autograd(student, seed, batch):
    shape = (1, 3 + seed % 4) if batch == "batch_of_1" else None
    logits, y = _case(seed, shape=shape)
    what = f"softmax_cross_entropy(logits, y) for logits of shape {expect.shape_text(logits.shape)}"
    loss, grad = _loss_and_grad(student, logits, y, what)
    want_loss, want_grad, _ = _oracle(logits, y)
    _loss_close(loss, want_loss, what)
    expect.close(grad, want_grad, what=f"{what}: the gradient dL/dlogits", rtol=1e-8, atol=1e-12)


@pytest.mark.points(0.2)
def test_gradient_divided_by_batch_size(student, seed):
    logits, y = _case(seed, shape=(8 + seed % 5, 3))
    n = logits.shape[0]
    what = f"softmax_cross_entropy(logits, y) for a batch of {n}"
    _, grad = _loss_and_grad(student, logits, y, what)
    _, want_grad, _ = _oracle(logits, y)
    if torch.allclose(grad, want_grad * n):
        raise AssertionError(
            f"{what}: the gradient is n = {n} times too large; the loss is a mean over the batch, "
            "so its gradient is (softmax - onehot) / n"
        )
    expect.close(grad, want_grad, what=f"{what}: the gradient", rtol=1e-8, atol=1e-12)


@pytest.mark.points(0.25)
def test_cross_entropy_finite_for_large_logits(student, seed):
    logits, y = _case(seed, scale=1000.0, shape=(6, 4))
    what = "softmax_cross_entropy(logits, y) for logits in the thousands"
    loss, grad = _loss_and_grad(student, logits, y, what)
    want_loss, want_grad, _ = _oracle(logits, y)
    assert np.isfinite(loss) and bool(torch.isfinite(grad).all()), (
        f"{what} gives NaN or inf: subtract each row's maximum before exp, and take the log "
        "of the sum (log-sum-exp) rather than the log of a probability that underflowed to 0"
    )
    _loss_close(loss, want_loss, what)
    expect.close(grad, want_grad, what=f"{what}: the gradient", rtol=1e-8, atol=1e-12)


@pytest.mark.points(0.15)
def test_logits_not_modified(student, seed):
    logits, y = _case(seed)
    probes = student.import_module(PROBES)
    m = student.sem1_backprop
    for name, args in (("softmax", (logits,)), ("softmax_cross_entropy", (logits, y))):
        result = probes.call_watching_inputs(getattr(m, name), *args)
        assert not any(result["modified"]), (
            f"{name} changes its input in place (e.g. logits -= logits.max(...)): "
            "compute the shifted logits as a new array"
        )
