"""S1.2 Linear: ``Y = X W + b`` and its backward pass, checked against torch autograd.

Weights are set from the test (``layer.W = ...``), so ``__init__``'s random draw plays no part.
Shapes are random, with ``n``, ``d_in`` and ``d_out`` all different (a transposed gradient has
the wrong shape) and, in one test, all equal (a transposed gradient has the right shape and
only its values give it away); a batch of one has a test of its own.
"""

import numpy as np
import pytest
import torch

from torchgrade import expect

pytestmark = pytest.mark.section("S1.2")

PROBES = "torchgrade.probes.sem1_backprop"
# (n, d_in, d_out), all at least 2 so that every mistake shows on every seed (a mean over a
# batch of one is its sum; a transposed vector reshaped is the vector); the batch of one is a
# test of its own.
SHAPES = ((5, 2, 7), (9, 6, 3), (4, 5, 2), (17, 4, 6), (3, 7, 5))


def _case(seed: int, n: int, d_in: int, d_out: int, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d_in)).astype(dtype)
    W = rng.normal(size=(d_in, d_out)).astype(dtype)
    b = rng.normal(size=d_out).astype(dtype)
    G = rng.normal(size=(n, d_out)).astype(dtype)
    return X, W, b, G


def _oracle(X, W, b, G) -> dict[str, torch.Tensor]:
    """Y and the gradients of sum(Y * G) with respect to X, W, b, by autograd (float64)."""
    x, w, c = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (X, W, b))
    y = x @ w + c
    dx, dw, db = torch.autograd.grad((y * torch.tensor(G, dtype=torch.float64)).sum(), [x, w, c])
    return {"Y": y.detach(), "dX": dx, "dW": dw, "db": db}


def _layer(student, W, b):
    layer = student.sem1_backprop.Linear(W.shape[0], W.shape[1], dtype=W.dtype.name)
    layer.W, layer.b = W, b
    return layer


def _shape(seed: int) -> tuple[int, int, int]:
    return SHAPES[seed % len(SHAPES)]


def _run(student, seed, n, d_in, d_out):
    """Forward and one backward of a fresh layer; returns what came back and the oracle."""
    X, W, b, G = _case(seed, n, d_in, d_out)
    layer = _layer(student, W, b)
    what = f"Linear({d_in}, {d_out})"
    Y = expect.array(
        layer.forward(X), what=f"{what}.forward(X) for X of shape ({n}, {d_in})", shape=(n, d_out)
    )
    dX = expect.array(
        layer.backward(G), what=f"{what}.backward(grad_out) for a batch of {n}", shape=(n, d_in)
    )
    dW = expect.array(layer.dW, what=f"{what}.dW after one backward", shape=(d_in, d_out))
    db = expect.array(layer.db, what=f"{what}.db after one backward", shape=(d_out,))
    return {"Y": Y, "dX": dX, "dW": dW, "db": db}, _oracle(X, W, b, G), what


@pytest.mark.points(0.25)
@pytest.mark.public
def test_forward_is_x_w_plus_b(student, seed):
    n, d_in, d_out = _shape(seed)
    X, W, b, _ = _case(seed, n, d_in, d_out)
    layer = _layer(student, W, b)
    what = f"Linear({d_in}, {d_out}).forward(X) for X of shape ({n}, {d_in})"
    Y = expect.array(layer.forward(X), what=what, shape=(n, d_out))
    expect.close(Y, torch.from_numpy(X @ W + b), what=what, rtol=1e-10, atol=1e-12)


@pytest.mark.points(0.25)
@pytest.mark.parametrize("batch", ["batch_of_1", "batch_of_many"])
def test_backward_matches_autograd(student, seed, batch):
    n, d_in, d_out = _shape(seed)
    n = 1 if batch == "batch_of_1" else n
    got, want, what = _run(student, seed, n, d_in, d_out)
    for key, meaning in (("dX", "dL/dX"), ("dW", "dL/dW"), ("db", "dL/db")):
        expect.close(
            got[key],
            want[key],
            what=f"{what}: {meaning} for a batch of {n}",
            rtol=1e-9,
            atol=1e-12,
        )


@pytest.mark.points(0.25)
def test_weight_gradient_is_x_transposed_times_grad_out(student, seed):
    d = 3 + seed % 3  # n = d_in = d_out: every transposition has the right shape
    got, want, what = _run(student, seed, d, d, d)
    if torch.allclose(got["dW"], want["dW"].T):
        raise AssertionError(
            f"{what}.dW is the transpose of dL/dW: dL/dW = X^T grad_out has the shape of W "
            "(d_in, d_out)"
        )
    expect.close(
        got["dW"], want["dW"], what=f"{what}.dW (dL/dW = X^T grad_out)", rtol=1e-9, atol=1e-12
    )
    expect.close(
        got["dX"], want["dX"], what=f"{what}.backward (dL/dX = grad_out W^T)", rtol=1e-9, atol=1e-12
    )


@pytest.mark.points(0.25)
def test_bias_gradient_is_summed_over_the_batch(student, seed):
    n, d_in, d_out = _shape(seed)
    got, want, what = _run(student, seed, n, d_in, d_out)
    if torch.allclose(got["db"], want["db"] / n):
        raise AssertionError(
            f"{what}.db is the mean of grad_out over the batch; every row of Y gets the same b, "
            "so dL/db is the *sum* over the batch (any 1/n belongs to the loss, not the layer)"
        )
    expect.close(
        got["db"],
        want["db"],
        what=f"{what}.db (the sum of grad_out over the batch)",
        rtol=1e-9,
        atol=1e-12,
    )


@pytest.mark.points(0.25)
def test_gradients_accumulate_across_two_backward_calls(student, seed):
    n, d_in, d_out = _shape(seed)
    X, W, b, G1 = _case(seed, n, d_in, d_out)
    G2 = np.random.default_rng(seed + 1).normal(size=G1.shape)
    layer = _layer(student, W, b)
    result = student.import_module(PROBES).backward_twice(layer, X, G1, G2)
    what = f"Linear({d_in}, {d_out}) after backward(G1) and backward(G2) without zero_grad"
    first, second = (_oracle(X, W, b, G) for G in (G1, G2))
    dW = expect.array(result["param_grads"][0], what=f"{what}: dW", shape=(d_in, d_out))
    db = expect.array(result["param_grads"][1], what=f"{what}: db", shape=(d_out,))
    if torch.allclose(dW, second["dW"]):
        raise AssertionError(
            f"{what}: dW holds only the second gradient; backward must *add* to dW and db "
            "(dW += ...), as autograd accumulates into .grad"
        )
    expect.close(
        dW, first["dW"] + second["dW"], what=f"{what}: dW (the sum of both)", rtol=1e-9, atol=1e-12
    )
    expect.close(
        db, first["db"] + second["db"], what=f"{what}: db (the sum of both)", rtol=1e-9, atol=1e-12
    )
    dX2 = expect.array(result["grads_in"][1], what=f"{what}: the second dL/dX", shape=X.shape)
    expect.close(
        dX2,
        second["dX"],
        what=f"{what}: the second dL/dX (it does not accumulate)",
        rtol=1e-9,
        atol=1e-12,
    )


@pytest.mark.points(0.25)
def test_zero_grad_resets_the_gradients(student, seed):
    n, d_in, d_out = _shape(seed)
    X, W, b, G = _case(seed, n, d_in, d_out)
    layer = _layer(student, W, b)
    layer.forward(X)
    layer.backward(G)
    layer.zero_grad()
    what = f"Linear({d_in}, {d_out}) after backward and zero_grad()"
    for name, shape in (("dW", (d_in, d_out)), ("db", (d_out,))):
        got = expect.array(
            getattr(layer, name), what=f"{what}: {name}", shape=shape, dtype=np.float64
        )
        expect.close(got, torch.zeros(shape, dtype=torch.float64), what=f"{what}: {name}")
    layer.forward(X)
    layer.backward(G)
    want = _oracle(X, W, b, G)
    what = f"Linear({d_in}, {d_out}): backward after zero_grad()"
    got = expect.array(layer.dW, what=f"{what}: dW", shape=(d_in, d_out))
    expect.close(got, want["dW"], what=f"{what}: dW (one gradient, not two)", rtol=1e-9, atol=1e-12)


@pytest.mark.points(0.125)
def test_float32_in_float32_out(student, seed):
    n, d_in, d_out = _shape(seed)
    X, W, b, G = _case(seed, n, d_in, d_out, dtype=np.float32)
    layer = _layer(student, W, b)
    what = f"Linear({d_in}, {d_out}, dtype='float32')"
    Y = expect.array(
        layer.forward(X),
        what=f"{what}.forward(X) for float32 X",
        shape=(n, d_out),
        dtype=np.float32,
    )
    dX = expect.array(
        layer.backward(G),
        what=f"{what}.backward(grad_out) for float32 grad_out",
        shape=(n, d_in),
        dtype=np.float32,
    )
    dW = expect.array(layer.dW, what=f"{what}.dW", shape=(d_in, d_out), dtype=np.float32)
    db = expect.array(layer.db, what=f"{what}.db", shape=(d_out,), dtype=np.float32)
    want = _oracle(X, W, b, G)
    for key, got in (("Y", Y), ("dX", dX), ("dW", dW), ("db", db)):
        expect.close(got, want[key], what=f"{what}: {key} in float32", rtol=1e-4, atol=1e-5)


@pytest.mark.points(0.125)
def test_inputs_not_modified(student, seed):
    n, d_in, d_out = _shape(seed)
    X, W, b, G = _case(seed, n, d_in, d_out)
    layer = _layer(student, W, b)
    probes = student.import_module(PROBES)
    what = f"Linear({d_in}, {d_out})"
    result = probes.call_watching_inputs(layer.forward, X)
    assert not result["modified"][0], f"{what}.forward(X) changes X in place: leave it as it was"
    result = probes.call_watching_inputs(layer.backward, G)
    assert not result["modified"][0], (
        f"{what}.backward(grad_out) changes grad_out in place: leave it as it was"
    )
