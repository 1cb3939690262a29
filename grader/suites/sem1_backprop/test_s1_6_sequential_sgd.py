"""S1.6 Sequential, and mini-batch SGD with weight decay written by hand.

``Sequential`` is tested on the grader's layers (``grader/probes/sem1_backprop.py``: the
interface of the seminar, gradients by autograd), so it depends on none of the student's
layers. ``sgd_fit`` trains the grader's whole network (one object) with the grader's loss,
and is compared with the procedure of its docstring replayed here with autograd, step by step:
the shuffling (``default_rng(seed).permutation`` once per epoch), the batches (the last one
smaller), the update with weight decay, the epoch means. Its defaults must also train a
two-hidden-layer ReLU network on moons (threshold: ``bench/thresholds_sem1_backprop.py``).
"""

import itertools

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from torchgrade import expect
from torchgrade.testdata import moons_split

pytestmark = pytest.mark.section("S1.6")

PROBES = "torchgrade.probes.sem1_backprop"
MIN_ACCURACY = 0.92
MOONS_SIZES = (2, 16, 16, 2)  # the network sgd_fit trains on moons with its defaults


def _params(rng: np.random.Generator, sizes: tuple[int, ...]) -> list[np.ndarray]:
    """He-initialised ``[W1, b1, W2, b2, ...]`` for affine maps between ``sizes``."""
    out = []
    for d_in, d_out in itertools.pairwise(sizes):
        out += [rng.normal(scale=np.sqrt(2 / d_in), size=(d_in, d_out)), np.zeros(d_out)]
    return out


def _network(params: list[torch.Tensor], X: torch.Tensor) -> torch.Tensor:
    """The probes' ``mlp``: ReLU between affine maps, none after the last."""
    for i in range(0, len(params), 2):
        X = X @ params[i] + params[i + 1]
        if i + 2 < len(params):
            X = torch.relu(X)
    return X


def _loss_and_grads(params, X, y) -> tuple[float, list[np.ndarray]]:
    ps = [torch.tensor(p, requires_grad=True) for p in params]
    loss = F.cross_entropy(_network(ps, torch.from_numpy(X)), torch.as_tensor(y, dtype=torch.long))
    return float(loss), [g.numpy() for g in torch.autograd.grad(loss, ps)]


def _replay(params, X, y, *, lr, weight_decay, epochs, batch_size, seed):
    """``sgd_fit``'s docstring, done here: the parameters and the epoch losses it must give."""
    params = [p.copy() for p in params]
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(epochs):
        order, total = rng.permutation(len(X)), 0.0
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            loss, grads = _loss_and_grads(params, X[batch], y[batch])
            for p, g in zip(params, grads, strict=True):
                p -= lr * (g + weight_decay * p)
            total += loss * len(batch)
        history.append(total / len(X))
    return params, history


def _fit(student, params, X, y, **kwargs):
    """Run the student's sgd_fit on the probes' network and loss; new parameters, history."""
    probes = student.import_module(PROBES)
    model = probes.mlp(params)
    history = student.sem1_backprop.sgd_fit(model, probes.cross_entropy, X, y, **kwargs)
    return probes.parameters(model), history


def _blobs(seed: int, n: int, d: int, k: int):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n)
    X = rng.normal(size=(n, d)) + 2.0 * rng.normal(size=(k, d))[y]
    return X, y


@pytest.mark.points(0.3)
@pytest.mark.public
def test_sequential_chains_forward_and_backward(student, seed):
    rng = np.random.default_rng(seed)
    n, d, h, k = 1 + seed % 6, 3, 5, 2
    W1, b1, W2, b2 = (rng.normal(size=s) for s in ((d, h), (h,), (h, k), (k,)))
    X, G = rng.normal(size=(n, d)), rng.normal(size=(n, k))
    probes = student.import_module(PROBES)
    layers = [probes.affine(W1, b1), probes.activation("tanh"), probes.affine(W2, b2)]
    model = student.sem1_backprop.Sequential(layers)
    what = f"Sequential([Linear({d}, {h}), Tanh, Linear({h}, {k})])"
    Y = expect.array(model.forward(X), what=f"{what}.forward(X) for a batch of {n}", shape=(n, k))
    dX = expect.array(model.backward(G), what=f"{what}.backward(grad_out)", shape=(n, d))
    ps = [torch.tensor(a, requires_grad=True) for a in (X, W1, b1, W2, b2)]
    y = torch.tanh(ps[0] @ ps[1] + ps[2]) @ ps[3] + ps[4]
    grads = torch.autograd.grad((y * torch.from_numpy(G)).sum(), ps)
    expect.close(Y, y.detach(), what=f"{what}.forward(X)", rtol=1e-9, atol=1e-12)
    expect.close(
        dX,
        grads[0],
        what=f"{what}.backward(grad_out) (dL/dX, last layer first)",
        rtol=1e-9,
        atol=1e-12,
    )
    got = probes.gradients(layers[0]) + probes.gradients(layers[2])
    for name, g, want in zip(("W1", "b1", "W2", "b2"), got, grads[1:], strict=True):
        expect.close(
            expect.array(g, what=f"{what}: d{name}"),
            want,
            what=f"{what}: the gradient of {name} after backward",
            rtol=1e-9,
            atol=1e-12,
        )


@pytest.mark.points(0.2)
def test_sequential_parameters_and_zero_grad(student, seed):
    rng = np.random.default_rng(seed)
    W1, b1, W2, b2 = (rng.normal(size=s) for s in ((3, 4), (4,), (4, 2), (2,)))
    probes = student.import_module(PROBES)
    layers = [probes.affine(W1, b1), probes.activation("relu"), probes.affine(W2, b2)]
    model = student.sem1_backprop.Sequential(layers)
    what = "Sequential([Linear(3, 4), ReLU, Linear(4, 2)]).parameters()"
    pairs = model.parameters()
    assert isinstance(pairs, list) and len(pairs) == 4, (
        f"{what} should be a list of the 4 (value, gradient) pairs of its layers, in order; "
        f"got {expect.kind(pairs)}"
    )
    for i, (name, want) in enumerate(zip(("W1", "b1", "W2", "b2"), (W1, b1, W2, b2), strict=True)):
        assert isinstance(pairs[i], (tuple, list)) and len(pairs[i]) == 2, (
            f"{what}[{i}] should be a (value, gradient) pair"
        )
        value = expect.array(pairs[i][0], what=f"{what}[{i}][0]", shape=want.shape)
        expect.close(value, torch.from_numpy(want), what=f"{what}[{i}][0], should be {name}")
    probes.add_in_place(model, 1.0)
    after = probes.parameters(layers[0])[0]
    expect.close(
        expect.array(after, what="W1"),
        torch.from_numpy(W1 + 1),
        what=f"the first layer's W after `p += 1` for every p of {what} (return the layers' "
        "own arrays, not copies: the optimizer updates them in place)",
    )
    model.zero_grad()
    counts = [probes.calls(layer)["zero_grad"] for layer in layers]
    assert counts == [1, 1, 1], (
        f"Sequential.zero_grad() should call zero_grad() on every layer once, got calls {counts}"
    )


@pytest.mark.points(0.35)
def test_one_full_batch_epoch_is_one_sgd_step_with_weight_decay(student, seed, worker_seed):
    X, y = _blobs(seed, n=24, d=3, k=3)
    params = _params(np.random.default_rng(seed + 1), (3, 5, 3))
    settings = {"lr": 0.3, "weight_decay": 0.05, "epochs": 1, "batch_size": 24, "seed": worker_seed}
    got, history = _fit(student, params, X, y, **settings)
    want, want_history = _replay(params, X, y, **settings)
    what = "sgd_fit(model, loss_fn, X, y, lr=0.3, weight_decay=0.05, epochs=1, batch_size=n)"
    history = expect.losses(history, 1, what)
    assert abs(history[0] - want_history[0]) <= 1e-9, (
        f"{what} returned the loss {history[0]:.8g}, expected {want_history[0]:.8g}: "
        "the loss of the batch before the step"
    )
    for i, (g, w, p0) in enumerate(zip(got, want, params, strict=True)):
        g = expect.array(g, what=f"{what}: parameter {i}", shape=w.shape)
        if torch.allclose(g, torch.from_numpy(p0)):
            raise AssertionError(
                f"{what} left parameter {i} unchanged: update each parameter in place "
                "(p -= ...), not a new array bound to a local name"
            )
        expect.close(
            g,
            torch.from_numpy(w),
            what=f"{what}: parameter {i} after the step p -= lr * (grad + weight_decay * p)",
            rtol=1e-9,
            atol=1e-12,
        )


@pytest.mark.points(0.3)
def test_minibatches_follow_the_seeded_shuffle(student, seed, worker_seed):
    X, y = _blobs(seed, n=27, d=2, k=2)
    params = _params(np.random.default_rng(seed + 1), (2, 4, 2))
    settings = {"lr": 0.1, "weight_decay": 0.01, "epochs": 3, "batch_size": 10, "seed": worker_seed}
    got, history = _fit(student, params, X, y, **settings)
    want, want_history = _replay(params, X, y, **settings)
    what = "sgd_fit(..., epochs=3, batch_size=10) on 27 examples"
    history = expect.losses(history, 3, what)
    expect.close(
        torch.tensor(history),
        torch.tensor(want_history),
        what=f"{what}: the epoch losses (batch losses weighted by batch size, over "
        "default_rng(seed).permutation(n) drawn once per epoch, last batch of 7)",
        rtol=1e-9,
        atol=1e-12,
    )
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        g = expect.array(g, what=f"{what}: parameter {i}", shape=w.shape)
        expect.close(
            g,
            torch.from_numpy(w),
            what=f"{what}: parameter {i} after training",
            rtol=1e-8,
            atol=1e-10,
        )


@pytest.mark.points(0.35)
@pytest.mark.timeout(120)
def test_defaults_train_an_mlp_on_moons(student, seed, worker_seed):
    X_train, X_test, y_train, y_test = (t.numpy().astype(np.float64) for t in moons_split(seed))
    params = _params(np.random.default_rng(seed), MOONS_SIZES)
    # The worker's seed, not the data seed: the held-out labels must not follow from it.
    got, history = _fit(student, params, X_train, y_train.astype(np.int64), seed=worker_seed)
    what = "sgd_fit(model, loss_fn, X, y) with its defaults on moons"
    expect.losses(history, 30, what)
    got = [expect.array(g, what=f"{what}: parameter {i}") for i, g in enumerate(got)]
    logits = _network(got, torch.from_numpy(X_test))
    accuracy = float((logits.argmax(dim=1).numpy() == y_test).mean())
    assert accuracy >= MIN_ACCURACY, (
        f"{what}: a 2-16-16-2 ReLU network reaches {accuracy:.1%} held-out accuracy, expected "
        f"at least {MIN_ACCURACY:.0%}"
    )
