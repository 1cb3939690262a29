"""S4.1 Dropout: inverted dropout as an ``nn.Module``.

The mask is random, so the tests check what every correct mask satisfies (each output element
is 0 or ``x / (1 - p)``, the gradient is ``m / (1 - p)`` for the very mask of that call) and
statistics whose bounds are six standard deviations wide: a correct layer fails them with a
probability below 1e-8.
"""

import math

import pytest
import torch

from torchgrade import expect
from torchgrade.remote import StudentError

pytestmark = pytest.mark.section("S4.1")

PROBES = "torchgrade.probes.sem4_regularization"
# Never 0.5: keeping with probability p instead of 1 - p must make a visible difference.
RATES = (0.2, 0.25, 0.3, 0.4, 0.6, 0.7, 0.75, 0.8)


def _rate(seed: int) -> float:
    return RATES[seed % len(RATES)]


def _nonzero(seed: int, *shape: int) -> torch.Tensor:
    """Random values with |x| >= 0.1: an output of exactly 0 then means a dropped element."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(*shape, generator=g)
    return torch.where(z >= 0, 1.0, -1.0) * (0.1 + z.abs())


def _raises(call, type_name: str) -> bool:
    try:
        call()
    except StudentError as exc:
        return exc.type_name == type_name
    return False


def _train_output(student, p: float, x: torch.Tensor) -> torch.Tensor:
    d = student.sem4_regularization.Dropout(p)
    d.train()
    what = f"Dropout({p:g}) in train mode on x of shape {tuple(x.shape)}"
    return expect.tensor(d(x), what=what, shape=tuple(x.shape))


@pytest.mark.points(0.25)
@pytest.mark.public
def test_p_attribute_and_invalid_p(student):
    Dropout = student.sem4_regularization.Dropout
    got = expect.number(Dropout(0.3).p, what="Dropout(0.3).p")
    assert abs(got - 0.3) < 1e-9, f"Dropout(0.3).p should be 0.3, got {got:g}"
    got = expect.number(Dropout().p, what="Dropout().p")
    assert abs(got - 0.5) < 1e-9, f"Dropout() should default to p = 0.5, got p = {got:g}"
    for p in (0.0, 1.0):
        Dropout(p)  # the edges are valid: an exception here fails the test with its message
    for p in (-0.1, 1.5):
        assert _raises(lambda p=p: Dropout(p), "ValueError"), (
            f"Dropout({p:g}) should raise ValueError: p must be in [0, 1]"
        )


@pytest.mark.points(0.5)
@pytest.mark.public
def test_eval_mode_is_identity_without_rescaling(student, seed):
    p = _rate(seed)
    x = _nonzero(seed, 30, 12)
    d = student.sem4_regularization.Dropout(p)
    d.train()
    d.eval()
    what = f"Dropout({p:g}) in eval mode on x of shape (30, 12)"
    y = expect.tensor(d(x), what=what, shape=(30, 12))
    assert not bool((y == 0).any()), (
        f"{what} zeroes elements: dropout must be off in eval mode (check self.training)"
    )
    assert not torch.allclose(y, x * (1 - p), rtol=1e-5, atol=1e-6), (
        f"{what} returns x * (1 - p): that is the other variant; with inverted dropout the "
        "rescaling happens in train mode and eval mode returns x unchanged"
    )
    expect.close(y, x, what=what, rtol=1e-6, atol=0.0)


@pytest.mark.points(0.25)
@pytest.mark.public
def test_kept_elements_are_rescaled_by_1_over_1_minus_p(student, seed):
    p = _rate(seed)
    x = _nonzero(seed, 6, 20, 5)  # any shape: dropout is elementwise
    y = _train_output(student, p, x)
    what = f"Dropout({p:g}) in train mode on x of shape (6, 20, 5)"
    kept = y != 0
    assert bool(kept.any()) and not bool(kept.all()), (
        f"{what} should drop some elements (output 0) and keep the others"
    )
    scaled = x / (1 - p)
    assert not torch.allclose(y[kept], x[kept], rtol=1e-5, atol=1e-6), (
        f"{what}: kept elements equal x; inverted dropout divides them by 1 - p = {1 - p:g}"
    )
    expect.close(
        y[kept],
        scaled[kept],
        what=f"{what}, the kept (non-zero) elements, which should be x / (1 - p)",
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.points(0.5)
def test_drop_probability_is_p_not_1_minus_p(student, seed):
    p = _rate(seed)
    x = _nonzero(seed, 200, 100)
    y = _train_output(student, p, x)
    n = x.numel()
    dropped = (y == 0).double().mean().item()
    bound = 6 * math.sqrt(p * (1 - p) / n)
    assert abs(dropped - p) <= bound, (
        f"Dropout({p:g}) in train mode dropped a fraction {dropped:.3f} of {n} elements; "
        f"each element should be zeroed with probability p = {p:g} (kept with 1 - p)"
    )


@pytest.mark.points(0.25)
def test_fresh_mask_on_every_call(student, seed):
    p = _rate(seed)
    x = torch.ones(50, 40)
    d = student.sem4_regularization.Dropout(p)
    d.train()
    what = f"Dropout({p:g}) in train mode on x of shape (50, 40)"
    masks = [expect.tensor(d(x), what=what, shape=(50, 40)) != 0 for _ in range(3)]
    assert not (torch.equal(masks[0], masks[1]) and torch.equal(masks[1], masks[2])), (
        f"{what} drops the same elements on every call: draw a new mask in every forward "
        "call (not once in __init__, and without re-seeding the generator)"
    )


@pytest.mark.points(0.25)
def test_mask_not_shared_across_the_batch(student, seed):
    x = torch.ones(64, 32)
    p = 0.5  # the most varied masks
    mask = _train_output(student, p, x) != 0
    rows, cols = mask.unique(dim=0).shape[0], mask.unique(dim=1).shape[1]
    assert rows > 32, (
        "Dropout(0.5) in train mode on x of shape (64, 32) gives the examples of the batch "
        f"(rows) only {rows} different masks: draw an independent mask for every element, "
        "with the shape of x (e.g. torch.rand_like(x))"
    )
    assert cols > 16, (
        "Dropout(0.5) in train mode on x of shape (64, 32) drops whole examples (the features "
        f"of a row share one mask; {cols} different columns): drop every element on its own"
    )


@pytest.mark.points(0.25)
def test_p_zero_is_identity(student, seed):
    x = _nonzero(seed, 25, 8)
    d = student.sem4_regularization.Dropout(0.0)
    for mode in ("train", "eval"):
        getattr(d, mode)()
        what = f"Dropout(0) in {mode} mode on x of shape (25, 8)"
        expect.close(d(x), x, what=what, rtol=1e-6, atol=0.0)


@pytest.mark.points(0.25)
def test_p_one_gives_zeros_not_nan(student, seed):
    x = _nonzero(seed, 25, 8)
    y = _train_output(student, 1.0, x)
    what = "Dropout(1) in train mode on x of shape (25, 8)"
    assert bool(torch.isfinite(y).all()), (
        f"{what} contains NaN or infinity: with p = 1 every element is dropped; avoid dividing "
        "by 1 - p = 0"
    )
    expect.close(y, torch.zeros_like(x), what=what, rtol=0.0, atol=0.0)


@pytest.mark.points(0.25)
def test_input_not_modified_in_place(student, seed):
    p = _rate(seed)
    x = _nonzero(seed, 40, 10)
    d = student.sem4_regularization.Dropout(p)
    d.train()
    result = student.import_module(PROBES).call_watching_input(d, x)
    assert not result["input_modified"], (
        f"Dropout({p:g}) in train mode modifies its input x in place: return a new tensor "
        "(x * mask / (1 - p)) and leave x as it was"
    )


@pytest.mark.points(0.25)
def test_gradient_is_mask_over_1_minus_p(student, seed):
    p = _rate(seed)
    x = _nonzero(seed, 32, 16)
    d = student.sem4_regularization.Dropout(p)
    d.train()
    result = student.import_module(PROBES).backward_with(d, x, torch.ones(32, 16))
    what = f"Dropout({p:g}) in train mode on x of shape (32, 16)"
    assert not result.get("not_differentiable"), (
        f"the output of {what} is not differentiable with respect to x: compute it with "
        "tensor operations on x itself (no .detach(), .data or torch.no_grad())"
    )
    y = expect.tensor(result["output"], what=what, shape=(32, 16))
    grad = result["grad_input"]
    assert grad is not None, f"{what}: x receives no gradient"
    expect.tensor(grad, what=f"the gradient of sum({what}) with respect to x", shape=(32, 16))
    kept = y != 0
    want = torch.where(kept, 1.0 / (1 - p), 0.0)
    expect.close(
        grad,
        want,
        what=(
            f"the gradient of sum({what}) with respect to x (should be 1 / (1 - p) where the "
            "element was kept and 0 where it was dropped, for the mask of that same call)"
        ),
        rtol=1e-5,
        atol=1e-6,
    )
