"""2.1 IoU and Dice: per class by hand, NaN for a class in neither map, mean over classes."""

import math

import pytest
import torch

from torchgrade import expect

pytestmark = pytest.mark.section("2.1")


def _label_maps(seed: int, num_classes: int, absent: int | None = None):
    """Random prediction/target maps ``(N, H, W)`` that mostly agree; ``absent`` in neither."""
    g = torch.Generator().manual_seed(seed)
    n, h, w = (
        int(torch.randint(1, 4, (1,), generator=g)),
        *torch.randint(3, 12, (2,), generator=g).tolist(),
    )
    target = torch.randint(0, num_classes, (n, h, w), generator=g)
    noise = torch.randint(0, num_classes, (n, h, w), generator=g)
    pred = torch.where(torch.rand(n, h, w, generator=g) < 0.6, target, noise)
    if absent is not None:
        target[target == absent] = (absent + 1) % num_classes
        pred[pred == absent] = (absent + 2) % num_classes
    return pred, target


def _per_class(values, what: str, num_classes: int) -> torch.Tensor:
    return expect.tensor(values, what=what, shape=(num_classes,), dtype=None).double()


@pytest.mark.points(0.25)
@pytest.mark.public
def test_known_values(student):
    hw = student.hw2_segmentation
    pred = torch.tensor([[0, 0, 1, 1], [0, 2, 2, 1]])
    target = torch.tensor([[0, 0, 1, 2], [0, 0, 2, 2]])
    # IoU: class 0: 3/4; class 1: 1/3; class 2: 1/4; class 3 in neither map: NaN
    what = "iou_per_class(pred, target, 4) for pred/target of shape (2, 4)"
    iou = _per_class(hw.iou_per_class(pred, target, 4), what, 4)
    expect.close(iou, torch.tensor([3 / 4, 1 / 3, 1 / 4, math.nan]), what=what)
    what = "dice_per_class(pred, target, 4) for pred/target of shape (2, 4)"
    dice = _per_class(hw.dice_per_class(pred, target, 4), what, 4)
    expect.close(dice, torch.tensor([6 / 7, 2 / 4, 2 / 5, math.nan]), what=what)
    what = "mean_iou(pred, target, 4) for pred/target of shape (2, 4)"
    value = expect.number(hw.mean_iou(pred, target, 4), what=what)
    assert abs(value - (3 / 4 + 1 / 3 + 1 / 4) / 3) < 1e-6, (
        f"{what} should be the mean of the three measured IoUs (0.444), got {value:.4f}"
    )


@pytest.mark.points(0.25)
def test_iou_per_class_matches_reference(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    num_classes = int(torch.randint(2, 7, (1,), generator=g))
    pred, target = _label_maps(seed, num_classes)
    # Every class in the target: the empty-class convention is its own test, and a map that
    # left out a class by chance would judge it here on some seeds and not on others.
    target.view(-1)[:num_classes] = torch.arange(num_classes)
    what = f"iou_per_class(pred, target, {num_classes}) for maps of shape {tuple(pred.shape)}"
    got = _per_class(
        student.hw2_segmentation.iou_per_class(pred, target, num_classes), what, num_classes
    )
    expect.close(got, ref.hw2_segmentation.iou_per_class(pred, target, num_classes), what=what)


@pytest.mark.points(0.25)
def test_empty_class_conventions(student, seed):
    """A class in neither map is NaN (not 0, not 1); in one map only, 0."""
    hw = student.hw2_segmentation
    pred, target = _label_maps(seed, 5, absent=3)
    only_target = torch.where(target == 2, torch.ones_like(target), target)
    only_pred = pred.clone()
    only_pred[0, 0, 1] = 2
    shape = tuple(pred.shape)
    for fn in ("iou_per_class", "dice_per_class"):
        what = f"{fn}(pred, target, 5) where class 3 is in neither map (shape {shape})"
        got = _per_class(getattr(hw, fn)(pred, target, 5), what, 5)
        assert math.isnan(got[3]), (
            f"{what} should give NaN for class 3 (0 / 0: not measured), got {got[3].item():g}"
        )
        what = f"{fn}(pred, target, 5) where class 2 is predicted but absent from the target"
        got = _per_class(getattr(hw, fn)(only_pred, only_target, 5), what, 5)
        assert got[2].item() == 0, f"{what} should give 0 for class 2, got {got[2].item():g}"


@pytest.mark.points(0.25)
def test_dice_per_class_matches_reference(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    num_classes = int(torch.randint(2, 7, (1,), generator=g))
    pred, target = _label_maps(seed, num_classes, absent=num_classes - 1)
    what = f"dice_per_class(pred, target, {num_classes}) for maps of shape {tuple(pred.shape)}"
    got = _per_class(
        student.hw2_segmentation.dice_per_class(pred, target, num_classes), what, num_classes
    )
    expect.close(got, ref.hw2_segmentation.dice_per_class(pred, target, num_classes), what=what)


@pytest.mark.points(0.25)
def test_mean_iou_matches_reference_and_skips_nan(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    num_classes = int(torch.randint(3, 7, (1,), generator=g))
    pred, target = _label_maps(seed, num_classes, absent=1)
    what = f"mean_iou(pred, target, {num_classes}) where class 1 is in neither map"
    value = student.hw2_segmentation.mean_iou(pred, target, num_classes)
    if not isinstance(value, float):
        raise AssertionError(
            f"{what} should return a Python float (.item()), got {expect.kind(value)}"
        )
    expected = ref.hw2_segmentation.mean_iou(pred, target, num_classes)
    assert math.isfinite(value), f"{what} is {value}: skip the NaN of unmeasured classes (nanmean)"
    assert abs(value - expected) < 1e-5, f"{what} is {value:.4f}, expected {expected:.4f}"


@pytest.mark.points(0.25)
def test_mean_iou_averages_over_classes_not_pixels(student, seed):
    """Mostly background, found perfectly; the small classes badly: the pooled IoU of all
    pixels is high, the mean over classes is not."""
    g = torch.Generator().manual_seed(seed)
    target = torch.zeros(2, 16, 16, dtype=torch.long)
    target[:, 2:5, 2:5], target[:, 9:12, 9:12] = 1, 2
    pred = target.clone()
    pred[:, 2:5, 2:4] = 2  # most of class 1 called class 2
    pred[:, 9:12, 9:11] = 0
    pred[:, 10, 14] = int(torch.randint(1, 3, (1,), generator=g))
    iou = [
        ((pred == c) & (target == c)).sum() / ((pred == c) | (target == c)).sum() for c in range(3)
    ]
    expected = float(sum(iou) / 3)
    what = "mean_iou(pred, target, 3) on maps that are 93% background, found correctly"
    value = expect.number(student.hw2_segmentation.mean_iou(pred, target, 3), what=what)
    assert abs(value - expected) < 1e-5, (
        f"{what} is {value:.3f}, expected {expected:.3f}: average the IoU of each class "
        "(every class weighs the same), not one IoU of all pixels pooled together"
    )
