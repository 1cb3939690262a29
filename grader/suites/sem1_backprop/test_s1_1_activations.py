"""S1.1 Activations and their derivatives, checked against torch and its autograd.

One table drives the tests: each activation's torch twin gives the value, and autograd of that
twin gives the derivative (at 0 too: ReLU's derivative 0, leaky ReLU's ``alpha``). Inputs mix
random values of either sign with exact zeros, on random shapes with a batch of one among them.
"""

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from torchgrade import expect

pytestmark = pytest.mark.section("S1.1")

PROBES = "torchgrade.probes.sem1_backprop"
ALPHAS = (0.01, 0.05, 0.1, 0.2, 0.3)

# name -> torch twin of the activation, taking (z, alpha); the step has none (no gradient)
TWINS = {
    "logistic": lambda z, a: torch.sigmoid(z),
    "tanh": lambda z, a: torch.tanh(z),
    "relu": lambda z, a: torch.relu(z),
    "leaky_relu": lambda z, a: F.leaky_relu(z, a),
}
NAMES = [*TWINS, "step"]


def _inputs(seed: int) -> tuple[np.ndarray, float]:
    """Random values of both signs with some exact zeros, on a random shape; a random alpha."""
    rng = np.random.default_rng(seed)
    shape = [(1, 7), (13, 5), (4, 3, 6)][seed % 3]
    z = rng.normal(scale=3.0, size=shape)
    z[rng.random(shape) < 0.15] = 0.0
    return z, ALPHAS[seed % len(ALPHAS)]


def _call(student, name: str, z: np.ndarray, alpha: float):
    fn = getattr(student.sem1_backprop, name)
    return fn(z, alpha) if name.startswith("leaky") else fn(z)


def _what(name: str, z: np.ndarray, alpha: float) -> str:
    args = f"z, alpha={alpha:g}" if name.startswith("leaky") else "z"
    return f"{name}({args}) for z of shape {expect.shape_text(z.shape)}"


def _oracle(name: str, z: np.ndarray, alpha: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The value and the derivative of the activation at ``z``, by torch and autograd."""
    t = torch.tensor(z, requires_grad=True)
    if name == "step":  # flat pieces only: the derivative is 0 (taken as 0 at z = 0 too)
        return torch.heaviside(t.detach(), torch.ones((), dtype=t.dtype)), torch.zeros_like(t)
    value = TWINS[name](t, alpha)
    (grad,) = torch.autograd.grad(value.sum(), t)
    return value.detach(), grad


@pytest.mark.points(0.1)
@pytest.mark.public
@pytest.mark.parametrize("name", NAMES)
def test_value_matches_torch(student, seed, name):
    z, alpha = _inputs(seed)
    what = _what(name, z, alpha)
    got = expect.array(_call(student, name, z, alpha), what=what, shape=z.shape)
    expect.close(got, _oracle(name, z, alpha)[0], what=what, rtol=1e-7, atol=1e-12)


@pytest.mark.points(0.1)
@pytest.mark.public
@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_autograd(student, seed, name):
    z, alpha = _inputs(seed)
    what = _what(f"{name}_derivative", z, alpha)
    got = expect.array(_call(student, f"{name}_derivative", z, alpha), what=what, shape=z.shape)
    want = _oracle(name, z, alpha)[1]
    if name == "logistic" and torch.allclose(got, torch.from_numpy(z * (1 - z))):
        raise AssertionError(
            f"{what} returns z * (1 - z): that formula takes the sigmoid's *output*; this "
            "function gets its input z, so compute s = logistic(z) first"
        )
    expect.close(got, want, what=what, rtol=1e-7, atol=1e-12)


@pytest.mark.points(0.1)
def test_relu_derivative_is_0_and_step_is_1_at_zero(student):
    z = np.array([-1.0, 0.0, 2.0])
    m = student.sem1_backprop
    got = expect.array(m.relu_derivative(z), what="relu_derivative([-1, 0, 2])", shape=(3,))
    expect.close(
        got, torch.tensor([0.0, 0.0, 1.0]), what="relu_derivative([-1, 0, 2]) (0 at z = 0)"
    )
    got = expect.array(m.step(z), what="step([-1, 0, 2])", shape=(3,))
    expect.close(got, torch.tensor([0.0, 1.0, 1.0]), what="step([-1, 0, 2]) (step(0) = 1)")


@pytest.mark.points(0.1)
def test_leaky_relu_uses_its_alpha(student, seed):
    z = -np.linspace(0.5, 3.0, 6)
    alpha = ALPHAS[1 + seed % (len(ALPHAS) - 1)]  # never the default 0.01
    m = student.sem1_backprop
    for name, want in (("leaky_relu", alpha * z), ("leaky_relu_derivative", alpha + 0 * z)):
        what = f"{name}(z, alpha={alpha:g}) for negative z"
        got = expect.array(getattr(m, name)(z, alpha), what=what, shape=(6,))
        expect.close(got, torch.from_numpy(want), what=f"{what} (the slope there is alpha)")
    what = "leaky_relu(z) with the default alpha for negative z"
    got = expect.array(m.leaky_relu(z), what=what, shape=(6,))
    expect.close(got, torch.from_numpy(0.01 * z), what=f"{what} (alpha = 0.01)")


@pytest.mark.points(0.15)
def test_logistic_finite_for_large_inputs(student):
    z = np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0])
    t = torch.tensor(z)
    m = student.sem1_backprop
    what = "logistic(z) for z = [-1000, -50, -1, 0, 1, 50, 1000]"
    got = expect.array(m.logistic(z), what=what, shape=(7,))
    expect.close(got, torch.sigmoid(t), what=f"{what} (exp must not overflow to inf / inf)")
    what = "logistic_derivative(z) for z = [-1000, -50, -1, 0, 1, 50, 1000]"
    got = expect.array(m.logistic_derivative(z), what=what, shape=(7,))
    s = torch.sigmoid(t)
    expect.close(got, s * (1 - s), what=what, rtol=1e-7, atol=1e-15)


@pytest.mark.points(0.1)
def test_any_shape_in_same_shape_out(student, seed):
    rng = np.random.default_rng(seed)
    for shape in ((1,), (2, 1, 3)):
        z = rng.normal(size=shape)
        for name in NAMES:
            for fn in (name, f"{name}_derivative"):
                what = f"{fn}(z) for z of shape {expect.shape_text(shape)}"
                expect.array(getattr(student.sem1_backprop, fn)(z), what=what, shape=shape)


@pytest.mark.points(0.05)
def test_input_not_modified(student, seed):
    z, _ = _inputs(seed)
    probes = student.import_module(PROBES)
    for name in NAMES:
        for fn in (name, f"{name}_derivative"):
            result = probes.call_watching_inputs(getattr(student.sem1_backprop, fn), z)
            assert not result["modified"][0], (
                f"{fn}(z) changes z in place: return a new array and leave z as it was"
            )
