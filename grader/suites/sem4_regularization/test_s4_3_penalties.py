"""S4.3 L1 and L2 penalties over every parameter of a model.

The models are the grader's own (``grader/probes/sem4_regularization.py``) with weights drawn
here, some of them exactly 0, so the tests depend on nothing else the student wrote.
"""

import pytest
import torch

from torchgrade import expect
from torchgrade.probes.sem4_regularization import probe_net

pytestmark = pytest.mark.section("S4.3")

PROBES = "torchgrade.probes.sem4_regularization"
STRENGTHS = (0.01, 0.05, 0.3, 1.5)
SHAPES = {
    "fc1.weight": (4, 3),
    "fc1.bias": (4,),
    "bn.weight": (4,),
    "bn.bias": (4,),
    "fc2.weight": (2, 4),
    "fc2.bias": (2,),
}


def _with_zeros(g: torch.Generator, *shape: int) -> torch.Tensor:
    """Random values, about a third of them exactly 0 (never a whole tensor)."""
    values = torch.randn(*shape, generator=g)
    zeros = torch.rand(*shape, generator=g) < 0.35
    zeros.view(-1)[0] = False
    return torch.where(zeros, 0.0, values)


def _net_values(seed: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {name: _with_zeros(g, *shape) for name, shape in SHAPES.items()}


def _value(result, what: str) -> torch.Tensor:
    value = result if isinstance(result, torch.Tensor) else None
    if value is None:
        raise AssertionError(f"{what} should return a 0-dim tensor, got {expect.kind(result)}")
    return expect.tensor(value, what=what, shape=())


def _penalty_grads(student, name: str, values: dict, C: float) -> dict:
    """The student's penalty's value and gradients on the grader's network."""
    probes = student.import_module(PROBES)
    net = probes.probe_net(values)
    result = probes.penalty_backward(getattr(student.sem4_regularization, name), net, C)
    what = f"{name}(model, C={C:g})"
    _value(result["value"], what)
    assert result["differentiable"], (
        f"{what} is not differentiable: build it from the parameters with tensor operations "
        "(no .item(), float(), .detach() or torch.no_grad())"
    )
    return result


@pytest.mark.points(0.25)
@pytest.mark.public
def test_penalties_of_known_weights(student, seed):
    g = torch.Generator().manual_seed(seed)
    theta = _with_zeros(g, 3, 5)
    C = STRENGTHS[seed % len(STRENGTHS)]
    model = student.import_module(PROBES).OneTensor(theta)
    what = f"for a model whose only parameter has shape (3, 5), some entries 0, and C = {C:g}"
    for name, want in (
        ("l1_penalty", C * theta.abs().sum()),
        ("l2_penalty", C * (theta**2).sum()),
    ):
        got = _value(getattr(student.sem4_regularization, name)(model, C), f"{name}(model, C)")
        hint = " (no factor 1/2)" if name == "l2_penalty" else ""
        expect.close(got, want, what=f"{name}(model, C) {what}{hint}", rtol=1e-5, atol=1e-6)


@pytest.mark.points(0.25)
def test_every_parameter_counts_biases_and_batchnorm_too(student, ref, seed):
    values = _net_values(seed)
    C = STRENGTHS[(seed + 1) % len(STRENGTHS)]
    trusted = probe_net(values)
    model = student.import_module(PROBES).probe_net(values)
    weights_only = [v for k, v in values.items() if k.startswith("fc") and k.endswith("weight")]
    for name, power in (("l1_penalty", 1), ("l2_penalty", 2)):
        want = getattr(ref.sem4_regularization, name)(trusted, C).detach()
        what = (
            f"{name}(model, C={C:g}) for a Linear → BatchNorm1d → Linear network "
            "(weights, biases, gamma and beta)"
        )
        got = _value(getattr(student.sem4_regularization, name)(model, C), what)
        partial = C * sum(v.abs().pow(power).sum() for v in weights_only)
        assert not (
            torch.allclose(got.double(), partial.double(), rtol=1e-5)
            and not torch.allclose(got.double(), want.double(), rtol=1e-5)
        ), (
            f"{what} counts only the Linear weights: the penalty sums over ALL parameters "
            "(model.parameters()), biases and batch norm's weight and bias included"
        )
        expect.close(got, want, what=what, rtol=1e-5, atol=1e-6)


@pytest.mark.points(0.25)
def test_l1_gradient_is_c_sign_theta_and_0_at_0(student, seed):
    values = _net_values(seed)
    C = STRENGTHS[seed % len(STRENGTHS)]
    result = _penalty_grads(student, "l1_penalty", values, C)
    for name, theta in values.items():
        grad = result["grads"].get(name)
        what = f"the gradient of l1_penalty(model, C={C:g}) with respect to {name}"
        assert grad is not None, f"{name} receives no gradient from l1_penalty: count it too"
        assert bool(torch.isfinite(grad).all()), (
            f"{what} contains NaN or infinity where the weight is exactly 0: use torch.abs, "
            "whose gradient at 0 is 0 (not sqrt(theta**2) or theta / |theta|)"
        )
        expect.close(
            grad, C * torch.sign(theta), what=f"{what} (should be C·sign(θ))", rtol=1e-5, atol=1e-7
        )


@pytest.mark.points(0.25)
def test_l2_gradient_is_2c_theta_like_weight_decay_2c(student, seed):
    values = _net_values(seed)
    C = STRENGTHS[(seed + 2) % len(STRENGTHS)]
    result = _penalty_grads(student, "l2_penalty", values, C)
    for name, theta in values.items():
        grad = result["grads"].get(name)
        what = f"the gradient of l2_penalty(model, C={C:g}) with respect to {name}"
        assert grad is not None, f"{name} receives no gradient from l2_penalty: count it too"
        expect.tensor(grad, what=what, shape=tuple(theta.shape))
        assert not torch.allclose(grad, C * theta, rtol=1e-5, atol=1e-7), (
            f"{what} is C·θ: the penalty is C·Σθ² with no factor 1/2, so its gradient is 2C·θ"
        )
        expect.close(grad, 2 * C * theta, what=f"{what} (should be 2C·θ)", rtol=1e-5, atol=1e-7)

    # One SGD step on loss + l2_penalty(model, C) is one step with weight_decay = 2C.
    g = torch.Generator().manual_seed(seed + 1)
    X, y, lr = torch.randn(8, 3, generator=g), torch.randn(8, 2, generator=g), 0.1
    probes = student.import_module(PROBES)
    got = probes.sgd_step(
        probes.probe_net(values), X, y, lr=lr, penalty=student.sem4_regularization.l2_penalty, C=C
    )
    trusted = probe_net(values)
    trusted.train()
    torch.nn.functional.mse_loss(trusted(X), y).backward()
    for name, param in trusted.named_parameters():
        # torch.optim.SGD's update with weight decay, written out (no optimizer import here)
        want = param.detach() - lr * (param.grad + 2 * C * param.detach())
        expect.close(
            got[name],
            want,
            what=(
                f"{name} after one SGD step (lr={lr:g}) on MSE + l2_penalty(model, C={C:g}), "
                f"which should equal a step of SGD with weight_decay={2 * C:g}"
            ),
            rtol=1e-5,
            atol=1e-6,
        )
