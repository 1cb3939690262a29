"""1.4 Sigmoid and BCE: written by hand, exact, differentiable and stable for large logits."""

import math

import pytest
import torch

from torchgrade import expect

pytestmark = pytest.mark.section("1.4")

# Logits far beyond float32's exp range (e^89 = inf): a literal formula overflows here.
LARGE = torch.tensor([-1e4, -1000.0, -200.0, -100.0, -90.0, -50.0, 50.0, 90.0, 100.0, 1e4])


def _reference_grad(fn, *args, wrt: int) -> torch.Tensor:
    args = list(args)
    args[wrt] = args[wrt].detach().clone().requires_grad_(True)
    fn(*args).sum().backward()
    return args[wrt].grad


def _student_grad(student, fn, *args, wrt: int, what: str) -> torch.Tensor:
    grad = student.probes.backward(fn, *args, wrt=[wrt])["grads"][0]
    assert grad is not None, f"{what} should be differentiable (autograd gives no gradient)"
    return grad


# ----------------------------------------------------------------------------- sigmoid


@pytest.mark.points(0.25)
@pytest.mark.public
def test_sigmoid_known_values(student):
    z = torch.tensor([[0.0], [2.0], [-2.0], [100.0], [-100.0]])
    what = "sigmoid(z) for z = [[0], [2], [-2], [100], [-100]]"
    expected = torch.tensor([[0.5], [1 / (1 + math.exp(-2))], [1 / (1 + math.exp(2))], [1.0], [0]])
    expect.close(student.hw1_basics.sigmoid(z), expected, what=what)


@pytest.mark.points(0.25)
def test_sigmoid_matches_reference(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    shape = tuple(int(s) for s in torch.randint(1, 30, (2,), generator=g))
    z = torch.randn(*shape, generator=g) * 6
    what = f"sigmoid(z) for z of shape {expect.shape_text(shape)}"
    expect.close(student.hw1_basics.sigmoid(z), ref.hw1_basics.sigmoid(z), what=what)


@pytest.mark.points(0.25)
def test_sigmoid_gradient_matches_reference(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(int(torch.randint(3, 50, (1,), generator=g)), 1, generator=g) * 5
    what = f"the gradient of sigmoid(z) for z of shape ({z.shape[0]}, 1)"
    grad = _student_grad(student, student.hw1_basics.sigmoid, z, wrt=0, what="sigmoid")
    expect.close(grad, _reference_grad(ref.hw1_basics.sigmoid, z, wrt=0), what=what)


@pytest.mark.points(0.25)
def test_sigmoid_values_and_gradients_finite_for_large_inputs(student, ref):
    what = "sigmoid(z) for |z| from 50 to 10000"
    sigmoid = student.hw1_basics.sigmoid
    expect.close(sigmoid(LARGE), ref.hw1_basics.sigmoid(LARGE), what=what)
    grad = _student_grad(student, sigmoid, LARGE, wrt=0, what="sigmoid")
    assert bool(torch.isfinite(grad).all()), (
        "the gradient of sigmoid(z) is NaN or infinite for large |z|: an exp with a large "
        "positive argument overflows to inf (also in the branch torch.where does not pick); "
        "write σ so that exp never sees a positive argument"
    )
    expected = _reference_grad(ref.hw1_basics.sigmoid, LARGE, wrt=0)
    expect.close(grad, expected, what="the gradient of " + what)


# ----------------------------------------------------------------------------- bce_loss


@pytest.mark.points(0.25)
@pytest.mark.public
def test_bce_loss_known_values(student):
    bce = student.hw1_basics.bce_loss
    X = torch.tensor([[2.0], [-1.0]])
    w = torch.tensor([[1.0]])
    # logits (2, -1), labels (1, 0): softplus(2) - 2 and softplus(-1), averaged.
    expected = torch.tensor((math.log1p(math.exp(-2)) + math.log1p(math.exp(-1))) / 2)
    for y in (torch.tensor([1.0, 0.0]), torch.tensor([[1.0], [0.0]])):
        what = f"bce_loss(X, w, y) for X = [[2], [-1]], w = [[1]], y of shape {tuple(y.shape)}"
        loss = expect.scalar(bce(X, w, y), what=what)
        expect.close(loss, expected, what=what)
    what = "bce_loss(X, w, y) for logits 0 (w = 0)"
    loss = bce(
        torch.arange(15.0).reshape(5, 3), torch.zeros(3, 1), torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0])
    )
    expect.close(expect.scalar(loss, what=what), torch.tensor(math.log(2)), what=what)


MODERATE = 4.0  # logits where every correct formula is exact in float32


def _bce_inputs(seed: int, scale: float | None = None):
    g = torch.Generator().manual_seed(seed)
    n, d = int(torch.randint(5, 80, (1,), generator=g)), int(torch.randint(1, 6, (1,), generator=g))
    X = torch.randn(n, d, generator=g)
    w = torch.randn(d, 1, generator=g)
    y = torch.randint(0, 2, (n,), generator=g).float()
    if scale is not None:  # logits spread over [-scale, scale], both extremes included
        z = (X @ w).reshape(-1)
        X = X * (scale / z.abs().max())
        extreme = X[z.abs().argmax()].clone()
        X[0], X[1] = extreme, -extreme
        y[0], y[1] = 1.0, 1.0  # one of the two extreme rows is maximally wrong
    return n, d, X, w, y


@pytest.mark.points(0.5)
def test_bce_loss_matches_reference_for_both_label_shapes(student, ref, seed):
    # Moderate logits (|z| <= 4): this test is about label shapes, and any correct formula,
    # stable or not, is exact here in float32 on every seed. Large logits have their own tests.
    n, d, X, w, y = _bce_inputs(seed, scale=MODERATE)
    for labels in (y, y.reshape(n, 1)):
        what = (
            f"bce_loss(X, w, y) for X ({n}, {d}), w ({d}, 1) and y of shape "
            f"{expect.shape_text(labels.shape)}"
        )
        loss = expect.scalar(student.hw1_basics.bce_loss(X, w, labels), what=what)
        expect.close(loss, ref.hw1_basics.bce_loss(X, w, labels), what=what)


@pytest.mark.points(0.5)
def test_bce_loss_gradient_in_w_matches_reference(student, ref, seed):
    n, d, X, w, y = _bce_inputs(seed, scale=MODERATE)
    for labels in (y, y.reshape(n, 1)):
        what = (
            f"the gradient of bce_loss(X, w, y) with respect to w ({d}, 1), for y of shape "
            f"{expect.shape_text(labels.shape)}"
        )
        grad = _student_grad(student, student.hw1_basics.bce_loss, X, w, labels, wrt=1, what=what)
        expected = _reference_grad(ref.hw1_basics.bce_loss, X, w, labels, wrt=1)
        expect.close(grad, expected, what=what)


@pytest.mark.points(0.5)
def test_bce_loss_exact_for_logits_up_to_100(student, ref, seed):
    n, _, X, w, y = _bce_inputs(seed, scale=100.0)
    what = f"bce_loss(X, w, y) for logits X @ w between -100 and 100 (n = {n})"
    loss = expect.scalar(student.hw1_basics.bce_loss(X, w, y), what=what)
    assert bool(torch.isfinite(loss)), (
        f"{what} is {loss.item()}: log(σ(z)) is -inf once σ(z) rounds to 0 or 1; "
        "compute the loss from the logits (softplus(z) - y·z) with a stable softplus"
    )
    expected = ref.hw1_basics.bce_loss(X, w, y)
    if loss.item() < 0.9 * expected.item():
        raise AssertionError(
            f"{what} is {loss.item():.4g}, expected {expected.item():.4g}: the terms of "
            "confidently wrong predictions are too small (a probability clamped to [ε, 1 - ε] "
            "caps each at -log ε instead of |z|)"
        )
    expect.close(loss, expected, what=what, rtol=1e-4)


@pytest.mark.points(0.25)
def test_bce_loss_gradient_for_logits_up_to_100(student, ref, seed):
    n, _, X, w, y = _bce_inputs(seed, scale=100.0)
    what = f"the gradient in w of bce_loss(X, w, y) for logits between -100 and 100 (n = {n})"
    grad = _student_grad(student, student.hw1_basics.bce_loss, X, w, y, wrt=1, what=what)
    assert bool(torch.isfinite(grad).all()), f"{what} contains NaN or infinity"
    expected = _reference_grad(ref.hw1_basics.bce_loss, X, w, y, wrt=1)
    expect.close(grad, expected, what=what, rtol=1e-4, atol=1e-5)
