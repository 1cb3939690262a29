"""2.8 Knowledge distillation: the loss (softened KL with the T² factor, mean over pixels, plus
cross entropy) and the loop that trains a student against a frozen teacher.

The test of ``distill`` gives the worker's module the grader's own distillation_loss first, so a
mistake in the loss costs its own test only, and the teacher and student are the grader's
U-Nets."""

import pytest
import torch

from torchgrade import expect
from torchgrade.datasets.shapes import make_shapes
from torchgrade.probes.hw2_segmentation import unet as probe_unet

pytestmark = pytest.mark.section("2.8")

PROBES = "torchgrade.probes.hw2_segmentation"


def _logits(seed: int, num_classes: int = 4):
    g = torch.Generator().manual_seed(seed)
    n, h, w = 2, *torch.randint(3, 8, (2,), generator=g).tolist()
    student = torch.randn(n, num_classes, h, w, generator=g) * 2
    teacher = torch.randn(n, num_classes, h, w, generator=g) * 3
    target = torch.randint(0, num_classes, (n, h, w), generator=g)
    return student, teacher, target


def _check(student, ref, seed: int, T: float, alpha: float, hint: str) -> None:
    s, t, y = _logits(seed)
    what = f"distillation_loss(student_logits, teacher_logits, target, T={T:g}, alpha={alpha:g})"
    got = student.probes.backward(
        student.hw2_segmentation.distillation_loss, s, t, y, T, alpha, wrt=[0, 1]
    )
    x = s.clone().requires_grad_(True)
    expected = ref.hw2_segmentation.distillation_loss(x, t, y, T, alpha)
    expected.backward()
    expect.close(
        expect.scalar(got["output"], what=what),
        expected.detach(),
        what=what + hint,
        atol=1e-5,
        rtol=1e-4,
    )
    expect.close(
        got["grads"][0], x.grad, what=f"the gradient of {what}" + hint, atol=1e-6, rtol=1e-4
    )
    teacher_grad = got["grads"][1]
    assert teacher_grad is None or not teacher_grad.abs().sum() > 0, (
        f"{what}: a gradient flows into the teacher's logits; they are targets (detach them)"
    )


@pytest.mark.points(0.25)
@pytest.mark.public
def test_known_values(student, seed):
    s, t, y = _logits(seed)
    hw = student.hw2_segmentation
    what = (
        "distillation_loss(s, t, y, T=3, alpha=1) with the teacher's logits equal to the student's"
    )
    value = expect.scalar(hw.distillation_loss(s, s.clone(), y, 3.0, 1.0), what=what)
    assert abs(value.item()) < 1e-5, (
        f"{what} should be 0 (KL of a distribution with itself), got {value.item():.4g}"
    )
    what = "distillation_loss(s, t, y, T=2, alpha=0)"
    value = expect.scalar(hw.distillation_loss(s, t, y, 2.0, 0.0), what=what)
    expected = torch.nn.functional.cross_entropy(s, y)
    expect.close(value, expected, what=what + " (alpha = 0: the cross entropy alone)", atol=1e-5)


@pytest.mark.points(0.25)
def test_matches_reference(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    T = round(float(torch.rand(1, generator=g)) * 4 + 1, 2)
    alpha = round(float(torch.rand(1, generator=g)), 2)
    _check(student, ref, seed, T, alpha, "")


@pytest.mark.points(0.25)
def test_soft_term_has_the_t_squared_factor(student, ref, seed):
    _check(
        student,
        ref,
        seed,
        4.0,
        1.0,
        " (the soft term is T² · mean over pixels of the KL divergence; "
        "without T² it is 16× too small)",
    )


@pytest.mark.points(0.25)
def test_distill_trains_the_student_against_a_frozen_teacher(student, ref, seed, worker_seed):
    """The teacher arrives in train mode: it must still give eval-mode targets and keep its
    batch-norm statistics. The student's weights after two epochs match the reference's."""
    images, masks = make_shapes(64, seed=seed)
    probes = student.import_module(PROBES)
    probes.use_trusted_distillation_loss(student.hw2_segmentation)
    teacher = probes.unet(worker_seed, width=6, scramble_bn=True)
    teacher.train()
    teacher_state = probes.state_tensors(teacher)
    net = probes.unet(worker_seed + 1, width=3)
    what = (
        "distill(student, teacher, images, masks, T=3, alpha=0.7, epochs=2, lr=0.01, "
        "batch_size=16, seed=5)"
    )
    losses = student.hw2_segmentation.distill(
        net, teacher, images, masks, T=3.0, alpha=0.7, epochs=2, lr=0.01, batch_size=16, seed=5
    )
    expect.losses(losses, 2, what)
    now = probes.state_tensors(teacher)
    changed = [k for k in teacher_state if not torch.equal(teacher_state[k], now[k])]
    assert not changed, (
        f"{what} changed the teacher ({changed[0]}): run it in eval mode without gradients"
    )
    assert not probes.structure(net)["training"], f"{what} should leave the student in eval mode"
    expected_teacher = probe_unet(worker_seed, width=6, scramble_bn=True)
    expected_net = probe_unet(worker_seed + 1, width=3)
    expected = ref.hw2_segmentation.distill(
        expected_net,
        expected_teacher,
        images,
        masks,
        T=3.0,
        alpha=0.7,
        epochs=2,
        lr=0.01,
        batch_size=16,
        seed=5,
    )
    got = probes.state_tensors(net)
    for name, value in expected_net.state_dict().items():
        if value.is_floating_point():
            expect.close(
                got[name], value, what=f"the student's {name} after {what}", atol=1e-3, rtol=1e-3
            )
    expect.close(
        torch.tensor(losses),
        torch.tensor(expected),
        what=f"the losses of {what}",
        atol=1e-4,
        rtol=1e-4,
    )
