"""2.3 UNet: the layout of the docstring, the same function as the reference for the same
weights (skips concatenated first, on the channel axis), any size divisible by its stride."""

import pytest
import torch

from torchgrade import expect
from torchgrade.probes.hw2_segmentation import unet as probe_unet

pytestmark = pytest.mark.section("2.3")

PROBES = "torchgrade.probes.hw2_segmentation"


def _config(seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {
        "in_channels": int(torch.randint(1, 4, (1,), generator=g)),
        "num_classes": int(torch.randint(2, 6, (1,), generator=g)),
        "width": int(torch.randint(2, 7, (1,), generator=g)),
        "depth": int(torch.randint(1, 4, (1,), generator=g)),
    }


def _label(config: dict) -> str:
    return "UNet({})".format(", ".join(f"{k}={v}" for k, v in config.items()))


@pytest.mark.points(0.25)
@pytest.mark.public
def test_output_shape(student, seed):
    net = student.hw2_segmentation.UNet(1, 4, 8, 2)
    x = torch.randn(3, 1, 16, 16, generator=torch.Generator().manual_seed(seed))
    what = "UNet(1, 4, 8, 2)(x) for x of shape (3, 1, 16, 16)"
    expect.tensor(student.probes.call_in_mode(net, x, False), what=what, shape=(3, 4, 16, 16))


@pytest.mark.points(0.25)
def test_any_size_divisible_by_the_stride(student, seed):
    config = _config(seed)
    stride = 2 ** config["depth"]
    g = torch.Generator().manual_seed(seed + 1)
    net = student.hw2_segmentation.UNet(**config)
    for n, h, w in [(1, stride, stride), (2, 3 * stride, stride * 2), (1, stride * 5, stride * 3)]:
        x = torch.randn(n, config["in_channels"], h, w, generator=g)
        what = f"{_label(config)}(x) in eval mode for x of shape {tuple(x.shape)}"
        out = student.probes.call_in_mode(net, x, False)
        expect.tensor(out, what=what, shape=(n, config["num_classes"], h, w))


@pytest.mark.points(0.25)
def test_state_dict_layout_matches_the_docstring(student, ref, seed):
    config = _config(seed)
    net = student.hw2_segmentation.UNet(**config)
    got = student.import_module(PROBES).structure(net)["state"]
    expected = {
        k: [list(v.shape), str(v.dtype).removeprefix("torch.")]
        for k, v in ref.hw2_segmentation.UNet(**config).state_dict().items()
    }
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    what = f"{_label(config)}.state_dict()"
    assert not missing and not extra, (
        f"{what} should have the keys of the layout in the docstring; "
        f"missing {missing[:4]}, unexpected {extra[:4]}"
    )
    wrong = [k for k in expected if got[k] != expected[k]]
    assert not wrong, (
        f"{what}: {wrong[0]} has shape {got[wrong[0]][0]}, expected {expected[wrong[0]][0]} "
        "(decoder blocks take 2·c_i channels: the skip and the upsampled features)"
    )


@pytest.mark.points(0.5)
def test_same_function_as_reference_for_same_weights(student, ref, seed):
    """With the reference's weights and batch-norm statistics loaded, the outputs agree in eval
    and train mode: skips concatenated on the channel axis, skip first, every layer in place."""
    config = {**_config(seed), "in_channels": 1, "num_classes": 4}
    state = probe_unet(seed, width=config["width"], depth=config["depth"], scramble_bn=True)
    state = {k: v.clone() for k, v in state.state_dict().items()}
    net = student.hw2_segmentation.UNet(**config)
    errors = student.import_module(PROBES).load(net, state)
    assert not errors, f"{_label(config)}.load_state_dict(reference weights) failed: {errors[0]}"
    expected_net = ref.hw2_segmentation.UNet(**config)
    expected_net.load_state_dict(state)
    stride = 2 ** config["depth"]
    x = torch.randn(2, 1, 2 * stride, 3 * stride, generator=torch.Generator().manual_seed(seed))
    for training in (False, True):
        mode = "train" if training else "eval"
        what = f"{_label(config)}(x) in {mode} mode for x of shape {tuple(x.shape)}"
        got = student.probes.call_in_mode(net, x, training)
        expected_net.train(training)
        with torch.no_grad():
            expected = expected_net(x)
        expect.close(
            got, expected, what=what + " (with the reference's weights)", atol=1e-4, rtol=1e-4
        )


@pytest.mark.points(0.25)
def test_every_parameter_gets_a_gradient(student, seed):
    net = student.hw2_segmentation.UNet(1, 3, 4, 2)
    x = torch.randn(2, 1, 8, 12, generator=torch.Generator().manual_seed(seed))
    upstream = torch.randn(2, 3, 8, 12, generator=torch.Generator().manual_seed(seed + 1))
    got = student.probes.backward(net, x, params_of=net, upstream=upstream)
    dead = [
        name
        for name, grad in got["param_grads"].items()
        if grad is None or not grad.abs().sum() > 0
    ]
    assert not dead, (
        f"UNet(1, 3, 4, 2): no gradient reaches {dead[:3]}: is every layer used in forward?"
    )
