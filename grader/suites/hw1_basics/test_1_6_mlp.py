"""1.6 MLP with Dropout and BatchNorm1d: make_mlp's structure, its modes, and that it learns.

The MLP is trained by a trusted probe loop, never by the student's ``fit`` (1.7).
"""

from functools import partial

import pytest
import torch

from torchgrade import expect
from torchgrade.remote import type_mro
from torchgrade.testdata import moons_split

# More points than the other sections: a tighter estimate of the accuracy.
moons = partial(moons_split, n=4000)

pytestmark = pytest.mark.section("1.6")

PROBES = "torchgrade.probes.hw1_basics"

# The accuracy test's procedure; bench/thresholds.py runs the reference through it.
TRAIN = {"lr": 0.01, "epochs": 6, "batch_size": 64, "adam": True}
MIN_ACCURACY = 0.93

KINDS = {
    "Linear": "torch.nn.modules.linear.Linear",
    "BatchNorm1d": "torch.nn.modules.batchnorm.BatchNorm1d",
    "ReLU": "torch.nn.modules.activation.ReLU",
    "Dropout": "torch.nn.modules.dropout.Dropout",
}
BLOCK = ("Linear", "BatchNorm1d", "ReLU", "Dropout")


def _call(in_features: int, hidden: tuple, out_features: int, p: float) -> str:
    return f"make_mlp({in_features}, hidden={hidden}, out_features={out_features}, p={p})"


def _check_structure(student, model, in_features, hidden, out_features, p) -> list[dict]:
    """Assert the flat Linear → BatchNorm1d → ReLU → Dropout(p) blocks and a final Linear."""
    what = _call(in_features, hidden, out_features, p)
    assert "torch.nn.modules.container.Sequential" in type_mro(model), (
        f"{what} should return an nn.Sequential, got {expect.kind(model)}"
    )
    layers = student.probes.layers(model)
    want = [*BLOCK * len(hidden), "Linear"]
    got = [layer["type"] for layer in layers]
    names = ", ".join(want)
    assert len(layers) == len(want), (
        f"{what} should be a flat nn.Sequential of {len(want)} layers ({names}), "
        f"got {len(layers)}: {', '.join(got)}"
    )
    for i, (kind, layer) in enumerate(zip(want, layers, strict=True)):
        assert KINDS[kind] in layer["mro"], (
            f"layer {i} of {what} should be nn.{kind} (each hidden block is Linear → "
            f"BatchNorm1d → ReLU → Dropout, then a final Linear), got {layer['type']}"
        )
    widths = [in_features, *hidden]
    for block, h in enumerate(hidden):
        linear, norm, _, dropout = layers[4 * block : 4 * block + 4]
        i = 4 * block
        sizes = (linear.get("in_features"), linear.get("out_features"))
        assert sizes == (widths[block], h), (
            f"layer {i} of {what} should be Linear({widths[block]}, {h}), got Linear{sizes}"
        )
        assert norm.get("num_features") == h, (
            f"layer {i + 1} of {what} should be BatchNorm1d({h}), "
            f"got num_features={norm.get('num_features')}"
        )
        assert abs(float(dropout.get("p", -1)) - p) < 1e-9, (
            f"layer {i + 3} of {what} should be Dropout(p={p}), got p={dropout.get('p')}"
        )
    last = layers[-1]
    sizes = (last.get("in_features"), last.get("out_features"))
    assert sizes == (widths[-1], out_features), (
        f"the last layer of {what} should be Linear({widths[-1]}, {out_features}), "
        f"got Linear{sizes}"
    )
    return layers


@pytest.mark.points(0.5)
@pytest.mark.public
def test_make_mlp_default_structure(student, seed):
    model = student.hw1_basics.make_mlp(2)
    _check_structure(student, model, 2, (64, 64), 1, 0.2)
    X = torch.randn(10, 2, generator=torch.Generator().manual_seed(seed))
    out = student.probes.call_in_mode(model, X, False)
    expect.tensor(out, what="make_mlp(2)(X) in eval mode for X of shape (10, 2)", shape=(10, 1))


@pytest.mark.points(0.5)
def test_make_mlp_respects_its_arguments(student, seed):
    g = torch.Generator().manual_seed(seed)
    in_features = int(torch.randint(1, 7, (1,), generator=g))
    depth = int(torch.randint(1, 4, (1,), generator=g))
    hidden = tuple(int(h) for h in torch.randint(3, 40, (depth,), generator=g))
    out_features = int(torch.randint(1, 5, (1,), generator=g))
    p = round(float(torch.rand(1, generator=g)) * 0.6 + 0.05, 3)
    model = student.hw1_basics.make_mlp(in_features, hidden=hidden, out_features=out_features, p=p)
    _check_structure(student, model, in_features, hidden, out_features, p)
    X = torch.randn(12, in_features, generator=g)
    for training in (True, False):
        mode = "train" if training else "eval"
        call = _call(in_features, hidden, out_features, p)
        what = f"{call}(X) in {mode} mode for X of shape (12, {in_features})"
        out = student.probes.call_in_mode(model, X, training)
        expect.tensor(out, what=what, shape=(12, out_features))


def _eval_by_hand(student, model, layers: list[dict], X: torch.Tensor) -> torch.Tensor:
    """What the Sequential computes in eval mode, layer by layer from its parameters and
    buffers: batch norm on its running statistics, dropout as the identity."""
    x = X.double()
    for i, layer in enumerate(layers):
        if layer["type"] not in ("Linear", "BatchNorm1d", "ReLU"):
            continue
        child = model[i]
        params = {k: v.double() for k, v in student.probes.named_parameters(child).items()}
        if layer["type"] == "Linear":
            x = x @ params["weight"].T + params["bias"]
        elif layer["type"] == "BatchNorm1d":
            buffers = {k: v.double() for k, v in student.probes.named_buffers(child).items()}
            mean, var = buffers["running_mean"], buffers["running_var"]
            x = (x - mean) / torch.sqrt(var + layer["eps"]) * params["weight"] + params["bias"]
        else:
            x = x.clamp(min=0)
    return x


@pytest.mark.points(0.5)
def test_make_mlp_dropout_and_batch_norm_depend_on_mode(student, seed):
    g = torch.Generator().manual_seed(seed)
    hidden, p = (16, 12), 0.5
    what = _call(3, hidden, 1, p)
    model = student.hw1_basics.make_mlp(3, hidden=hidden, out_features=1, p=p)
    layers = _check_structure(student, model, 3, hidden, 1, p)
    for _ in range(3):  # train-mode passes move the running statistics away from (0, 1)
        student.probes.call_in_mode(model, torch.randn(32, 3, generator=g) * 2 + 1, True)
    X = torch.randn(24, 3, generator=g)
    first, second = (student.probes.call_in_mode(model, X, True) for _ in range(2))
    assert not torch.equal(first, second), (
        f"{what}: two forward passes in train() mode gave the same output; "
        "dropout should drop random units while training"
    )
    out = student.probes.call_in_mode(model, X, False)
    again = student.probes.call_in_mode(model, X, False)
    assert torch.equal(out, again), f"{what} in eval() mode should be deterministic (no dropout)"
    try:
        expected = _eval_by_hand(student, model, layers, X)
    except KeyError as exc:
        raise AssertionError(
            f"{what}: a layer lacks the parameter or buffer {exc} that nn.Linear and "
            "nn.BatchNorm1d have by default (bias, affine, running statistics)"
        ) from None
    expect.close(
        out,
        expected,
        what=f"{what}(X) in eval() mode (batch norm on its running statistics, no dropout)",
        rtol=1e-4,
        atol=1e-5,
    )
    single = student.probes.call_in_mode(model, X[:1], False)
    expect.close(
        single, out[:1], what=f"{what} in eval() mode on a single row", rtol=1e-4, atol=1e-5
    )


@pytest.mark.points(0.5)
def test_make_mlp_trains_to_93_percent_on_moons(student, seed, worker_seed):
    """make_mlp(2) with its defaults, trained by a trusted mini-batch Adam loop on
    standardized moons, reaches MIN_ACCURACY on the held-out quarter in eval mode
    (bench/thresholds.py: the reference's worst of 100 seeds is above it)."""
    X_train, X_test, y_train, y_test = moons(seed)
    model = student.hw1_basics.make_mlp(2)
    student.import_module(PROBES).train_classifier(
        model, X_train, y_train, seed=worker_seed, **TRAIN
    )
    logits = student.probes.call_in_mode(model, X_test, False)
    expect.tensor(logits, what="make_mlp(2)(X_test) after training", shape=(X_test.shape[0], 1))
    acc = ((logits.reshape(-1) > 0).float() == y_test).float().mean().item()
    assert acc >= MIN_ACCURACY, (
        f"make_mlp(2), trained with mini-batch Adam on a moons data set, classifies {acc:.1%} "
        f"of the held-out points correctly in eval mode; at least {MIN_ACCURACY:.0%} was expected"
    )
