"""2.7 Int8 weight quantization: weights stored in int8 (at least 3.5× smaller), a copy in eval
mode that computes almost what the float model computes, and the same mean IoU."""

import pytest
import torch

from torchgrade import expect
from torchgrade.datasets.shapes import make_shapes
from torchgrade.probes.hw2_segmentation import mean_iou, predict, to_worker, trained_unet
from torchgrade.probes.hw2_segmentation import unet as probe_unet

pytestmark = pytest.mark.section("2.7")

PROBES = "torchgrade.probes.hw2_segmentation"
MIN_SIZE_RATIO = 3.5
MAX_RELATIVE_ERROR = 0.05  # ‖quantized(x) - float(x)‖ / ‖float(x)‖ on a random U-Net
MAX_IOU_DROP = 0.03  # on a trained U-Net; bench/thresholds_hw2_segmentation.py
TRAIN_EPOCHS = 10


def _bytes(state: dict) -> int:
    return sum(v.numel() * v.element_size() for v in state.values())


@pytest.mark.points(0.25)
@pytest.mark.public
def test_weights_stored_in_int8_at_least_3_5x_smaller(student, worker_seed):
    probes = student.import_module(PROBES)
    net = probes.unet(worker_seed, width=8)
    quantized = student.hw2_segmentation.quantize_int8(net)
    float_state = probes.state_tensors(net)
    state = probes.state_tensors(quantized)
    what = "quantize_int8(unet).state_dict()"
    int8 = sum(v.numel() for v in state.values() if v.dtype == torch.int8)
    conv = sum(v.numel() for k, v in float_state.items() if v.dim() == 4)
    assert int8 >= conv, (
        f"{what} holds {int8} int8 values; every convolution weight ({conv} values) should be "
        "stored as torch.int8 (a buffer), not as float"
    )
    ratio = _bytes(float_state) / _bytes(state)
    assert ratio >= MIN_SIZE_RATIO, (
        f"{what} takes {_bytes(state)} bytes against {_bytes(float_state)} for the float model "
        f"({ratio:.2f}× smaller); at least {MIN_SIZE_RATIO}× was expected: keep only q (int8) "
        "and the per-channel scales, not the float weights as well"
    )


@pytest.mark.points(0.25)
def test_quantized_copy_is_close_in_eval_mode(student, seed, worker_seed):
    """The copy is called as it is returned (no .eval() from the grader): in train mode its
    batch norms would normalise with the batch's statistics instead of the running ones."""
    probes = student.import_module(PROBES)
    net = probes.unet(worker_seed, width=6, scramble_bn=True)
    original = probes.state_tensors(net)
    quantized = student.hw2_segmentation.quantize_int8(net)
    x = torch.randn(4, 1, 16, 16, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        expected = probe_unet(worker_seed, width=6, scramble_bn=True)(x)
    got = probes.call_as_is(quantized, x)
    what = "quantize_int8(unet)(x), called as returned"
    assert not got["training"], (
        f"{what}: the copy is in train mode; return it in eval mode (batch norms must use their "
        "running statistics at inference)"
    )
    out = expect.tensor(got["output"], what=what, shape=tuple(expected.shape))
    error = ((out - expected).norm() / expected.norm()).item()
    assert error < MAX_RELATIVE_ERROR, (
        f"{what} differs from the float model by {error:.1%} (relative L2); at most "
        f"{MAX_RELATIVE_ERROR:.0%} was expected from int8 weights with per-channel scales"
    )
    now = probes.state_tensors(net)
    assert all(torch.equal(original[k], now[k]) for k in original), (
        "quantize_int8(model) modified the original model; quantize a copy"
    )


@pytest.mark.points(0.25)
def test_dequantized_weights_within_half_a_step(student, seed):
    """A single convolution: the copy's output equals the convolution with the weight rounded
    to the grid max|W_o|/127 per output channel (or, if a finer grid was used, is closer)."""
    g = torch.Generator().manual_seed(seed)
    conv = torch.nn.Conv2d(3, 5, 3, padding=1)
    with torch.no_grad():
        conv.weight.copy_(
            torch.randn(conv.weight.shape, generator=g) * torch.rand(5, 1, 1, 1, generator=g)
        )
        conv.weight[2] = 0.0  # a pruned channel
        conv.bias.copy_(torch.randn(5, generator=g))
    wrapper = student.torch.nn.Sequential(student.torch.nn.Conv2d(3, 5, 3, padding=1))
    errors = student.import_module(PROBES).load(
        wrapper, {f"0.{k}": v for k, v in conv.state_dict().items()}
    )
    assert not errors, f"the grader could not set up torch's own Conv2d: {errors}"
    quantized = student.hw2_segmentation.quantize_int8(wrapper)
    x = torch.randn(2, 3, 7, 7, generator=g)
    got = expect.tensor(
        student.probes.call_in_mode(quantized, x, False),
        what="quantize_int8(conv)(x)",
        shape=(2, 5, 7, 7),
    )
    scale = conv.weight.detach().abs().amax(dim=(1, 2, 3), keepdim=True) / 127
    bound = torch.nn.functional.conv2d(x.abs(), scale.expand_as(conv.weight) / 2, padding=1)
    with torch.no_grad():
        exact = conv(x)
    assert bool(((got - exact).abs() <= bound + 1e-5).all()), (
        "quantize_int8 of one Conv2d(3, 5, 3): the output is further from the float output than "
        "per-channel rounding to max|W_o|/127 allows (a channel of zeros must stay zero, not NaN)"
    )
    assert torch.isfinite(got).all(), "quantize_int8: NaN in the output (a channel of zeros?)"


@pytest.mark.points(0.25)
@pytest.mark.timeout(120)
def test_mean_iou_of_a_trained_unet_within_margin(student, seed, worker_seed):
    images, masks = make_shapes(456, seed=seed)
    trained = trained_unet(images[:256], masks[:256], seed=worker_seed, epochs=TRAIN_EPOCHS)
    before = mean_iou(predict(trained, images[256:]), masks[256:])
    probes = student.import_module(PROBES)
    net = to_worker(probes, trained)
    quantized = student.hw2_segmentation.quantize_int8(net)
    pred = probes.call_as_is(quantized, images[256:])["output"].argmax(dim=1)
    after = mean_iou(pred, masks[256:])
    assert after >= before - MAX_IOU_DROP, (
        f"quantize_int8(trained unet): the mean IoU on held-out images fell from {before:.3f} to "
        f"{after:.3f}; at most {MAX_IOU_DROP} was expected"
    )
