"""hw2's trusted probes: the grader's trained U-Nets are kept by their inputs, and a kept one
is exactly what training again would give."""

import torch

from torchgrade.datasets.shapes import make_shapes
from torchgrade.probes import hw2_segmentation as probes


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_a_kept_trained_unet_is_the_one_training_gives_and_cannot_be_changed():
    images, masks = make_shapes(32, seed=3)
    first = probes.trained_unet(images, masks, seed=5, epochs=1, width=4)
    fresh = probes.unet(5, width=4)
    probes.train(fresh, images, masks, epochs=1, seed=5)
    assert _same(first, fresh)
    with torch.no_grad():  # what a test may do to its copy (2.6 prunes it)
        for p in first.parameters():
            p.zero_()
    again = probes.trained_unet(images, masks, seed=5, epochs=1, width=4)
    assert _same(again, fresh) and not again.training


def test_other_inputs_train_another_unet():
    images, masks = make_shapes(32, seed=3)
    base = probes.trained_unet(images, masks, seed=5, epochs=1, width=4)
    others = [
        probes.trained_unet(images, masks, seed=6, epochs=1, width=4),
        probes.trained_unet(images, masks, seed=5, epochs=2, width=4),
        probes.trained_unet(images.flip(0), masks.flip(0), seed=5, epochs=1, width=4),
    ]
    assert not any(_same(base, other) for other in others)
