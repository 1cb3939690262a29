"""S3.2 Activations: LeakyReLU, ELU, SELU and Maxout as modules, derivatives against autograd.

The expected values come from torch's own functions, here in the grader (``F.leaky_relu``,
``F.elu``, ``F.selu``), and the expected derivatives from autograd through them. Inputs stay at
least 0.01 away from 0, where the one-sided derivatives differ, and the student's module is
differentiated by autograd in the worker too: its ``derivative`` and its gradient must both
agree. Tolerances are 1e-4 relative: float32 with any stable formula, and SELU's constants
written with ten digits or more.
"""

import math

import pytest
import torch
from torch.nn import functional as F

from torchgrade import expect

pytestmark = pytest.mark.section("S3.2")

TOL = {"rtol": 1e-4, "atol": 1e-6}
SLOPES = (0.05, 0.1, 0.2, 0.3)
ALPHAS = (0.5, 1.5, 2.0, 3.0)  # never 1: a missing alpha must show


def _inputs(seed: int, *shape: int, scale: float = 3.0) -> torch.Tensor:
    """Values with |x| >= 0.01 (both branches, away from the kink at 0)."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(*shape, generator=g) * scale
    return torch.where(z >= 0, 1.0, -1.0) * (0.01 + z.abs())


def _autograd(fn, x: torch.Tensor) -> torch.Tensor:
    x = x.detach().clone().requires_grad_(True)
    fn(x).sum().backward()
    return x.grad


def _check_module(student, module, what: str, x: torch.Tensor, reference) -> None:
    """Forward values, ``derivative`` and the student's own autograd gradient vs ``reference``."""
    shape = tuple(x.shape)
    expect.close(module(x), reference(x), what=f"{what} on x of shape {shape}", **TOL)
    want = _autograd(reference, x)
    expect.close(
        module.derivative(x),
        want,
        what=f"{what}.derivative(x) for x of shape {shape}",
        **TOL,
    )
    result = student.probes.backward(module, x, wrt=[0])
    grad = result["grads"][0]
    assert grad is not None, f"{what}(x) is not differentiable with respect to x"
    expect.close(grad, want, what=f"the gradient of sum({what}(x)) with respect to x", **TOL)


# ----------------------------------------------------------------------------- LeakyReLU


@pytest.mark.points(0.25)
@pytest.mark.public
def test_leaky_relu_forward(student, seed):
    m = student.sem3_init.LeakyReLU()
    got = expect.number(m.negative_slope, what="LeakyReLU().negative_slope")
    assert abs(got - 0.01) < 1e-12, (
        f"LeakyReLU() should default to negative_slope = 0.01, got {got:g}"
    )
    slope = SLOPES[seed % len(SLOPES)]
    x = _inputs(seed, 4, 5, 6)
    m = student.sem3_init.LeakyReLU(slope)
    assert student.probes.named_parameters(m) == {}, "LeakyReLU should have no parameters"
    expect.close(
        m(x),
        torch.where(x > 0, x, slope * x),
        what=f"LeakyReLU({slope:g}) on x of shape (4, 5, 6)",
        **TOL,
    )


@pytest.mark.points(0.25)
def test_leaky_relu_derivative_matches_autograd(student, seed):
    slope = SLOPES[seed % len(SLOPES)]
    m = student.sem3_init.LeakyReLU(slope)
    reference = lambda x: F.leaky_relu(x, slope)  # noqa: E731
    _check_module(student, m, f"LeakyReLU({slope:g})", _inputs(seed, 40, 7), reference)


# ----------------------------------------------------------------------------- ELU, SELU


@pytest.mark.points(0.25)
def test_elu_negative_branch_scaled_by_alpha(student, seed):
    alpha = ALPHAS[seed % len(ALPHAS)]
    x = _inputs(seed, 50, 8)
    m = student.sem3_init.ELU(alpha)
    got = expect.number(m.alpha, what=f"ELU({alpha:g}).alpha")
    assert abs(got - alpha) < 1e-12, f"ELU({alpha:g}).alpha should be {alpha:g}, got {got:g}"
    assert student.probes.named_parameters(m) == {}, "ELU should have no parameters"
    got = m(x)
    what = f"ELU({alpha:g}) on x of shape (50, 8)"
    unscaled = torch.where(x > 0, x, torch.expm1(x))
    if isinstance(got, torch.Tensor) and got.shape == x.shape:
        assert not torch.allclose(got, unscaled, **TOL), (
            f"{what} returns exp(x) - 1 on the negative side: the negative branch is "
            f"alpha * (exp(x) - 1), here with alpha = {alpha:g}"
        )
    expect.close(got, F.elu(x, alpha), what=what, **TOL)


@pytest.mark.points(0.25)
def test_elu_derivative_matches_autograd(student, seed):
    alpha = ALPHAS[seed % len(ALPHAS)]
    m = student.sem3_init.ELU(alpha)
    reference = lambda x: F.elu(x, alpha)  # noqa: E731
    _check_module(student, m, f"ELU({alpha:g})", _inputs(seed, 40, 7), reference)


@pytest.mark.points(0.25)
def test_selu_matches_torch(student, seed):
    m = student.sem3_init.SELU()
    for name, want in (("alpha", 1.6732632423543772), ("scale", 1.0507009873554805)):
        got = expect.number(getattr(m, name), what=f"SELU().{name}")
        assert abs(got - want) < 1e-9, f"SELU().{name} should be {want!r}, got {got!r}"
    assert student.probes.named_parameters(m) == {}, "SELU should have no parameters"
    _check_module(student, m, "SELU()", _inputs(seed, 40, 7), F.selu)


@pytest.mark.points(0.25)
def test_elu_and_selu_finite_for_large_inputs(student):
    x = torch.tensor([-100.0, -60.0, -20.0, -0.5, 0.5, 20.0, 60.0, 100.0])
    for name, module, reference in (
        ("ELU(1.5)", student.sem3_init.ELU(1.5), lambda t: F.elu(t, 1.5)),
        ("SELU()", student.sem3_init.SELU(), F.selu),
    ):
        what = f"{name} on x = {x.tolist()}"
        y = expect.tensor(module(x), what=what, shape=(8,))
        assert bool(torch.isfinite(y).all()), f"{what} contains NaN or infinity"
        expect.close(y, reference(x), what=what, **TOL)
        grad = student.probes.backward(module, x, wrt=[0])["grads"][0]
        assert grad is not None, f"{name}(x) is not differentiable with respect to x"
        assert bool(torch.isfinite(grad).all()), (
            f"the gradient of {what} contains NaN or infinity: exp(100) overflows float32, and "
            "even in the branch torch.where discards, inf * 0 = NaN in the backward pass; take "
            "the exponential of x.clamp(max=0) only"
        )
        expect.close(grad, _autograd(reference, x), what=f"the gradient of {what}", **TOL)


# ----------------------------------------------------------------------------- Maxout


def _maxout_values(seed: int, pieces: int, out_features: int, in_features: int):
    g = torch.Generator().manual_seed(seed)
    weight = torch.randn(pieces, out_features, in_features, generator=g)
    bias = torch.randn(pieces, out_features, generator=g)
    return weight, bias


def _maxout_reference(x, weight, bias):
    return (torch.einsum("ni,koi->kno", x, weight) + bias[:, None, :]).amax(dim=0)


@pytest.mark.points(0.5)
@pytest.mark.public
def test_maxout_forward_with_given_weights(student, seed):
    for pieces, out_features, in_features in ((2, 3, 5), (3, 4, 6), (1, 2, 3)):
        m = student.sem3_init.Maxout(in_features, out_features, pieces)
        weight, bias = _maxout_values(seed, pieces, out_features, in_features)
        student.probes.set_parameters(m, {"weight": weight, "bias": bias})
        x = _inputs(seed + pieces, 9, in_features)
        what = (
            f"Maxout({in_features}, {out_features}, pieces={pieces}) with given weight and bias "
            f"on x of shape (9, {in_features}) (the max over the pieces, not over the units)"
        )
        expect.close(m(x), _maxout_reference(x, weight, bias), what=what, **TOL)


@pytest.mark.points(0.25)
def test_maxout_parameters_and_init(student):
    in_features, out_features, pieces = 256, 64, 2
    m = student.sem3_init.Maxout(in_features, out_features, pieces)
    what = f"Maxout({in_features}, {out_features}, pieces={pieces})"
    for name, want in (("in_features", 256), ("out_features", 64), ("pieces", 2)):
        got = getattr(m, name)
        assert got == want, f"{what}.{name} should be {want}, got {got!r}"
    assert student.probes.named_buffers(m) == {}, f"{what} should have no buffers"
    params = student.probes.named_parameters(m)
    assert sorted(params) == ["bias", "weight"], (
        f"{what} should have exactly two parameters, weight and bias, got {sorted(params)}"
    )
    expect.tensor(
        params["weight"], what=f"{what}.weight", shape=(pieces, out_features, in_features)
    )
    expect.tensor(params["bias"], what=f"{what}.bias", shape=(pieces, out_features))
    bound = 1 / math.sqrt(in_features)
    w = params["weight"].double()
    assert w.abs().max().item() <= bound * (1 + 1e-5), (
        f"{what}.weight should lie in (-1/sqrt(in_features), 1/sqrt(in_features)) = "
        f"(-{bound:.4g}, {bound:.4g}), like nn.Linear's; found {w.abs().max().item():.4g}"
    )
    ratio = w.std().item() / (bound / math.sqrt(3))
    assert abs(ratio - 1) < 0.05, (
        f"{what}.weight should be uniform on (-{bound:.4g}, {bound:.4g}): its standard deviation "
        f"is {ratio:.3g} times that of this uniform distribution"
    )
    assert params["bias"].abs().max().item() <= bound * (1 + 1e-5) and params["bias"].std() > 0, (
        f"{what}.bias should be drawn from U(-{bound:.4g}, {bound:.4g})"
    )


@pytest.mark.points(0.25)
def test_maxout_gradients_match_autograd(student, seed):
    pieces, out_features, in_features = 3, 4, 5
    m = student.sem3_init.Maxout(in_features, out_features, pieces)
    weight, bias = _maxout_values(seed, pieces, out_features, in_features)
    student.probes.set_parameters(m, {"weight": weight, "bias": bias})
    x = _inputs(seed, 12, in_features)
    upstream = torch.randn(12, out_features, generator=torch.Generator().manual_seed(seed))
    result = student.probes.backward(m, x, wrt=[0], params_of=m, upstream=upstream)
    xr = x.clone().requires_grad_(True)
    wr, br = weight.clone().requires_grad_(True), bias.clone().requires_grad_(True)
    (_maxout_reference(xr, wr, br) * upstream).sum().backward()
    what = "Maxout(5, 4, pieces=3) with given weights on x of shape (12, 5)"
    for name, got, want in (
        ("x", result["grads"][0], xr.grad),
        ("weight", result["param_grads"].get("weight"), wr.grad),
        ("bias", result["param_grads"].get("bias"), br.grad),
    ):
        assert got is not None, f"{what}: {name} receives no gradient"
        expect.close(
            got,
            want,
            what=f"the gradient with respect to {name} of {what} (only the winning piece)",
            **TOL,
        )
