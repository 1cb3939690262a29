"""2.2 Soft Dice and CE + Dice: values and gradients, finite on an empty class."""

import pytest
import torch

from torchgrade import expect

pytestmark = pytest.mark.section("2.2")


def _inputs(seed: int, num_classes: int = 4):
    g = torch.Generator().manual_seed(seed)
    n, h, w = 2, *torch.randint(4, 10, (2,), generator=g).tolist()
    logits = torch.randn(n, num_classes, h, w, generator=g) * 2
    target = torch.randint(0, num_classes, (n, h, w), generator=g)
    return logits, target


@pytest.mark.points(0.25)
@pytest.mark.public
def test_perfect_prediction_has_zero_soft_dice(student, seed):
    _, target = _inputs(seed)
    logits = torch.nn.functional.one_hot(target, 4).permute(0, 3, 1, 2).float() * 40 - 20
    what = "soft_dice_loss(logits, target) for confident, correct logits of shape (2, 4, H, W)"
    loss = expect.scalar(student.hw2_segmentation.soft_dice_loss(logits, target), what=what)
    assert abs(loss.item()) < 1e-4, f"{what} should be 0 (every dice_c is 1), got {loss.item():.4g}"


@pytest.mark.points(0.25)
def test_soft_dice_matches_reference_value_and_gradient(student, ref, seed):
    logits, target = _inputs(seed)
    smooth = [1.0, 0.5, 2.0][seed % 3]
    what = f"soft_dice_loss(logits, target, smooth={smooth}) for logits {tuple(logits.shape)}"
    got = student.probes.backward(
        student.hw2_segmentation.soft_dice_loss, logits, target, smooth, wrt=[0]
    )
    x = logits.clone().requires_grad_(True)
    expected = ref.hw2_segmentation.soft_dice_loss(x, target, smooth)
    expected.backward()
    expect.close(expect.scalar(got["output"], what=what), expected.detach(), what=what, atol=1e-5)
    expect.close(got["grads"][0], x.grad, what=f"the gradient of {what}", atol=1e-6, rtol=1e-4)


@pytest.mark.points(0.25)
def test_soft_dice_is_finite_on_an_empty_class(student, ref, seed):
    """Class 3 is in no target and the softmax gives it exactly 0: 0 / 0 without smoothing."""
    logits, target = _inputs(seed)
    target[target == 3] = 0
    logits[:, 3] = -200.0
    what = "soft_dice_loss(logits, target) where class 3 is absent and its softmax is exactly 0"
    got = student.probes.backward(student.hw2_segmentation.soft_dice_loss, logits, target, wrt=[0])
    loss = expect.scalar(got["output"], what=what)
    assert torch.isfinite(loss), (
        f"{what} is {loss.item()}: the smoothing term must be in the numerator and the "
        "denominator, so that an empty class gives smooth / smooth = 1"
    )
    assert torch.isfinite(got["grads"][0]).all(), f"the gradient of {what} contains NaN"
    expect.close(loss, ref.hw2_segmentation.soft_dice_loss(logits, target), what=what, atol=1e-5)


@pytest.mark.points(0.25)
def test_ce_dice_matches_reference_value_and_gradient(student, ref, seed):
    logits, target = _inputs(seed + 1, num_classes=3)
    weight = [1.0, 0.5, 2.0][seed % 3]
    what = f"ce_dice_loss(logits, target, dice_weight={weight}) for logits {tuple(logits.shape)}"
    got = student.probes.backward(
        student.hw2_segmentation.ce_dice_loss, logits, target, weight, wrt=[0]
    )
    x = logits.clone().requires_grad_(True)
    expected = ref.hw2_segmentation.ce_dice_loss(x, target, weight)
    expected.backward()
    expect.close(expect.scalar(got["output"], what=what), expected.detach(), what=what, atol=1e-5)
    expect.close(got["grads"][0], x.grad, what=f"the gradient of {what}", atol=1e-6, rtol=1e-4)
