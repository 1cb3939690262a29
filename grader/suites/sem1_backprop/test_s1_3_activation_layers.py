"""S1.3 ReLU, Sigmoid and Tanh as layers: forward, backward, own state, dtypes.

Upstream gradients have random signs (a ReLU mask taken from ``grad_out > 0`` instead of the
layer's input fails), inputs include exact zeros and saturating values, and two ReLU layers
are interleaved to catch state kept in the wrong place (the class, or another layer's output).
"""

import numpy as np
import pytest
import torch

from torchgrade import expect

pytestmark = pytest.mark.section("S1.3")

PROBES = "torchgrade.probes.sem1_backprop"
TWINS = {"ReLU": torch.relu, "Sigmoid": torch.sigmoid, "Tanh": torch.tanh}
SHAPES = ((1, 5), (8, 3), (6, 4, 2))


def _case(seed: int, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = SHAPES[seed % len(SHAPES)]
    X = rng.normal(scale=2.0, size=shape)
    X[rng.random(shape) < 0.1] = 0.0
    G = rng.normal(size=shape)
    return X.astype(dtype), G.astype(dtype)


def _oracle(name: str, X: np.ndarray, G: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    y = TWINS[name](x)
    (dx,) = torch.autograd.grad((y * torch.tensor(G, dtype=torch.float64)).sum(), x)
    return y.detach(), dx


@pytest.mark.points(0.25)
@pytest.mark.public
@pytest.mark.parametrize("name", list(TWINS))
def test_forward_and_backward_match_autograd(student, seed, name):
    X, G = _case(seed)
    layer = getattr(student.sem1_backprop, name)()
    shape = expect.shape_text(X.shape)
    what = f"{name}().forward(X) for X of shape {shape}"
    Y = expect.array(layer.forward(X), what=what, shape=X.shape)
    want_y, want_dx = _oracle(name, X, G)
    expect.close(Y, want_y, what=what, rtol=1e-9, atol=1e-12)
    what = f"{name}().backward(grad_out) for grad_out of shape {shape}"
    dX = expect.array(layer.backward(G), what=what, shape=X.shape)
    expect.close(dX, want_dx, what=f"{what} (dL/dX)", rtol=1e-9, atol=1e-12)


@pytest.mark.points(0.25)
def test_relu_derivative_from_its_own_input_not_another_layers(student, seed):
    rng = np.random.default_rng(seed)
    X1, X2 = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    G = np.abs(rng.normal(size=(6, 5))) + 0.1  # all positive: no mask can come from its sign
    first, second = student.sem1_backprop.ReLU(), student.sem1_backprop.ReLU()
    first.forward(X1)
    second.forward(X2)  # a second ReLU of the same network, forward after the first
    what = "first.backward(G) after first.forward(X1) and second.forward(X2) (two ReLU layers)"
    dX = expect.array(first.backward(G), what=what, shape=(6, 5))
    if torch.allclose(dX, torch.from_numpy(G * (X2 > 0))):
        raise AssertionError(
            f"{what} uses the mask of X2, the other layer's input: keep the mask on self (the "
            "instance), not on the class or in a global"
        )
    expect.close(
        dX, torch.from_numpy(G * (X1 > 0)), what=f"{what} (the mask of X1)", rtol=1e-12, atol=0.0
    )


@pytest.mark.points(0.2)
def test_float32_in_float32_out(student, seed):
    X, G = _case(seed, dtype=np.float32)
    for name in TWINS:
        layer = getattr(student.sem1_backprop, name)()
        what = f"{name}() on float32 input"
        Y = expect.array(layer.forward(X), what=f"{what}: forward", shape=X.shape, dtype=np.float32)
        dX = expect.array(
            layer.backward(G), what=f"{what}: backward", shape=X.shape, dtype=np.float32
        )
        want_y, want_dx = _oracle(name, X, G)
        expect.close(Y, want_y, what=f"{what}: forward", rtol=1e-5, atol=1e-6)
        expect.close(dX, want_dx, what=f"{what}: backward", rtol=1e-4, atol=1e-6)


@pytest.mark.points(0.15)
def test_sigmoid_finite_for_large_inputs(student):
    X = np.array([[-1000.0, -40.0, 0.0, 40.0, 1000.0]])
    G = np.ones_like(X)
    layer = student.sem1_backprop.Sigmoid()
    what = "Sigmoid().forward(X) for X = [[-1000, -40, 0, 40, 1000]]"
    Y = expect.array(layer.forward(X), what=what, shape=(1, 5))
    want_y, want_dx = _oracle("Sigmoid", X, G)
    expect.close(Y, want_y, what=f"{what} (exp must not overflow)", rtol=1e-9, atol=1e-300)
    what = "Sigmoid().backward(ones) after that forward"
    dX = expect.array(layer.backward(G), what=what, shape=(1, 5))
    expect.close(dX, want_dx, what=what, rtol=1e-9, atol=1e-15)


@pytest.mark.points(0.15)
def test_inputs_not_modified(student, seed):
    X, G = _case(seed)
    probes = student.import_module(PROBES)
    for name in TWINS:
        layer = getattr(student.sem1_backprop, name)()
        result = probes.call_watching_inputs(layer.forward, X)
        assert not result["modified"][0], (
            f"{name}().forward(X) changes X in place (e.g. X[X < 0] = 0): work on a new array"
        )
        result = probes.call_watching_inputs(layer.backward, G)
        assert not result["modified"][0], (
            f"{name}().backward(grad_out) changes grad_out in place: return a new array"
        )
