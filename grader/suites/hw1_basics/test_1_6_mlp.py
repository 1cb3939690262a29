"""1.6 MLP with Dropout and BatchNorm1d: make_mlp's structure, its modes, and that it learns.

The MLP is trained by a trusted probe loop, never by the student's ``fit`` (1.7). Every test
judges behaviour the trusted side observes — the state_dict received as data (keys, shapes),
running statistics that move exactly by a train() batch and are used in eval(), eval() outputs
and gradients computed here from that state, dropout's masks recovered from the output — so
a model that describes itself as something it is not earns nothing. The layer list a probe
reports (``_check_structure``) only words the feedback for an honest mistake.
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
    g = torch.Generator().manual_seed(seed)
    _check_behaviour(student, model, "make_mlp(2)", (2, (64, 64), 1), g)


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
    call = _call(in_features, hidden, out_features, p)
    _check_behaviour(student, model, call, (in_features, hidden, out_features), g)
    _check_dropout(student, in_features, p, g)


# nn.BatchNorm1d's defaults, which make_mlp keeps (the exercise asks for BatchNorm1d(h)).
MOMENTUM, EPS = 0.1, 1e-5
RUNNING = ("running_mean", "running_var", "num_batches_tracked")


def _layout(in_features: int, hidden: tuple, out_features: int) -> dict[str, tuple]:
    """The state_dict of the flat Sequential the exercise asks for: key -> shape."""
    keys: dict[str, tuple] = {}
    widths = [in_features, *hidden]
    for block, h in enumerate(hidden):
        i = 4 * block
        keys[f"{i}.weight"], keys[f"{i}.bias"] = (h, widths[block]), (h,)
        for name in ("weight", "bias", "running_mean", "running_var"):
            keys[f"{i + 1}.{name}"] = (h,)
        keys[f"{i + 1}.num_batches_tracked"] = ()
    last = 4 * len(hidden)
    keys[f"{last}.weight"], keys[f"{last}.bias"] = (out_features, widths[-1]), (out_features,)
    return keys


def _state(student, model, what: str, dims: tuple) -> dict[str, torch.Tensor]:
    """The model's state_dict, received as data and checked key by key and shape by shape:
    the structure as the tensors show it, not as the model describes itself."""
    state = student.probes.state_dict(model)
    assert isinstance(state, dict) and all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ), f"{what}: its state_dict() should map names to tensors"
    want = _layout(*dims)
    state = _numbered(state, want)
    missing = [k for k in want if k not in state]
    unexpected = [k for k in state if k not in want]
    assert not missing and not unexpected, (
        f"{what}: the state_dict() of a flat nn.Sequential of Linear → BatchNorm1d → ReLU → "
        f"Dropout blocks and a final Linear holds {', '.join(want)}; "
        f"missing: {', '.join(missing) or 'none'}; unexpected: {', '.join(unexpected) or 'none'}"
    )
    for key, shape in want.items():
        got = tuple(state[key].shape)
        assert got == shape, f"{what}: state_dict()[{key!r}] should have shape {shape}, got {got}"
    return {k: v.double() for k, v in state.items()}


def _numbered(named: dict, want: dict) -> dict:
    """Children named in an ``OrderedDict`` (``fc1``, ``bn1``) renamed by their position among
    the layers that hold state, as an ``nn.Sequential(*layers)`` numbers them."""
    prefixes = list(dict.fromkeys(k.split(".", 1)[0] for k in named))
    numbers = list(dict.fromkeys(k.split(".", 1)[0] for k in want))
    if len(prefixes) != len(numbers) or not all("." in k for k in named):
        return named
    rename = dict(zip(prefixes, numbers, strict=True))
    return {f"{rename[k.split('.', 1)[0]]}.{k.split('.', 1)[1]}": v for k, v in named.items()}


def _by_hand(state: dict, depth: int, X: torch.Tensor, train: bool = False) -> tuple:
    """What the blocks compute without dropout, from the state alone: batch norm on the
    running statistics (eval), or on the batch's own (``train``).

    Returns:
        ``(output, input of the last Linear, [(batch mean, unbiased batch variance)] per
        batch norm)``.
    """
    x, stats = X.double(), []
    for block in range(depth):
        i = 4 * block
        x = x @ state[f"{i}.weight"].T + state[f"{i}.bias"]
        if train:
            stats.append((x.mean(0), x.var(0)))
            mean, var = x.mean(0), x.var(0, unbiased=False)
        else:
            mean, var = state[f"{i + 1}.running_mean"], state[f"{i + 1}.running_var"]
        x = (x - mean) / torch.sqrt(var + EPS) * state[f"{i + 1}.weight"] + state[f"{i + 1}.bias"]
        x = x.clamp(min=0)
    last = 4 * depth
    return x @ state[f"{last}.weight"].T + state[f"{last}.bias"], x, stats


def _check_statistics(before: dict, after: dict, stats: list, what: str) -> None:
    """The first ``len(stats)`` batch norms counted the batch and moved their running
    statistics by it (momentum 0.1, unbiased variance); no parameter changed."""
    for key, value in before.items():
        if key.split(".")[-1] not in RUNNING:
            assert torch.equal(value, after[key]), f"{what}: a forward pass changed {key}"
    for block, (mean, var) in enumerate(stats):
        i = 4 * block + 1
        counted = after[f"{i}.num_batches_tracked"] - before[f"{i}.num_batches_tracked"]
        assert counted == 1, (
            f"{what}: one forward pass in train() mode should add 1 to layer {i}'s "
            f"num_batches_tracked, it added {counted:g}"
        )
        for name, batch in (("running_mean", mean), ("running_var", var)):
            expected = (1 - MOMENTUM) * before[f"{i}.{name}"] + MOMENTUM * batch
            expect.close(
                after[f"{i}.{name}"],
                expected,
                what=f"{what}: layer {i}'s {name} after one forward pass in train() mode "
                "(BatchNorm1d: (1 - 0.1)·old + 0.1·the batch's statistic)",
                rtol=1e-4,
                atol=1e-5,
            )


def _check_behaviour(student, model, what: str, dims: tuple, g: torch.Generator) -> dict:
    """One train() pass moves the first batch norm's statistics exactly by the batch's (its
    input does not depend on dropout); then eval() computes, from the state, Linear →
    BatchNorm1d on running statistics → ReLU, without dropout, deterministically."""
    in_features, hidden, out_features = dims
    before = _state(student, model, what, dims)
    X = torch.randn(32, in_features, generator=g) * 2 + 1
    out = student.probes.call_in_mode(model, X, True)
    expect.tensor(out, what=f"{what}(X) in train() mode", shape=(32, out_features))
    after = _state(student, model, what, dims)
    _, _, stats = _by_hand(before, 1, X, train=True)
    _check_statistics(before, after, stats, what)
    for block in range(1, len(hidden)):
        i = 4 * block + 1
        assert after[f"{i}.num_batches_tracked"] == before[f"{i}.num_batches_tracked"] + 1, (
            f"{what}: one forward pass in train() mode should count one batch in every "
            f"BatchNorm1d (layer {i}'s num_batches_tracked did not grow by 1)"
        )
    X = torch.randn(24, in_features, generator=g)
    out = student.probes.call_in_mode(model, X, False)
    expected, _, _ = _by_hand(after, len(hidden), X)
    expect.close(
        out,
        expected,
        what=f"{what}(X) in eval() mode (batch norm on its running statistics, no dropout)",
        rtol=1e-4,
        atol=1e-5,
    )
    again = student.probes.call_in_mode(model, X, False)
    assert torch.equal(out, again), f"{what} in eval() mode should be deterministic (no dropout)"
    return after


def _check_dropout(student, in_features: int, p: float, g: torch.Generator) -> None:
    """Train mode of a one-block MLP with more outputs than hidden units: from the output, the
    trusted side recovers what reached the last Linear. Each unit must be dropped (0) or kept
    and scaled by 1/(1-p), and about a fraction p of them dropped."""
    width, out_features, n = 6, 12, 128
    dims = (in_features, (width,), out_features)
    what = _call(*dims, p)
    model = student.hw1_basics.make_mlp(in_features, hidden=(width,), out_features=12, p=p)
    state = _state(student, model, what, dims)
    X = torch.randn(n, in_features, generator=g)
    out = student.probes.call_in_mode(model, X, True)
    expect.tensor(out, what=f"{what}(X) in train() mode", shape=(n, out_features))
    _, before_dropout, _ = _by_hand(state, 1, X, train=True)
    seen = torch.linalg.lstsq(state["4.weight"], (out.double() - state["4.bias"]).T).solution.T
    kept = before_dropout / (1 - p)
    tolerance = 2e-3 * (1 + kept.abs())
    dropped = seen.abs() <= tolerance
    scaled = (seen - kept).abs() <= tolerance
    wrong = int((~dropped & ~scaled).sum())
    assert wrong == 0, (
        f"{what}(X) in train() mode: each hidden unit should reach the last Linear either "
        f"dropped (0) or kept and scaled by 1/(1-p) = {1 / (1 - p):.4g}, as Linear → "
        f"BatchNorm1d → ReLU → Dropout(p) computes; {wrong} of {n * width} units were neither"
    )
    live = before_dropout > 1e-3
    share = float((dropped & live).sum()) / max(int(live.sum()), 1)
    assert abs(share - p) <= 0.15, (
        f"{what}(X) in train() mode dropped {share:.0%} of the active hidden units; "
        f"Dropout(p={p}) drops about {p:.0%}"
    )


@pytest.mark.points(0.5)
def test_make_mlp_dropout_and_batch_norm_depend_on_mode(student, seed):
    """Judged from what the model does, never from how it describes itself: batch statistics
    in train(), running statistics in eval(), dropout's masks and scale, and gradients."""
    g = torch.Generator().manual_seed(seed)
    hidden, p = (16, 12), 0.5
    dims = (3, hidden, 1)
    what = _call(*dims, p)
    model = student.hw1_basics.make_mlp(3, hidden=hidden, out_features=1, p=p)
    _check_structure(student, model, *dims, p)
    for _ in range(3):  # train-mode passes move the running statistics away from (0, 1)
        student.probes.call_in_mode(model, torch.randn(32, 3, generator=g) * 2 + 1, True)
    X = torch.randn(24, 3, generator=g)
    first, second = (student.probes.call_in_mode(model, X, True) for _ in range(2))
    assert not torch.equal(first, second), (
        f"{what}: two forward passes in train() mode gave the same output; "
        "dropout should drop random units while training"
    )
    _check_behaviour(student, model, what, dims, g)
    _check_dropout(student, 3, p, g)
    # Without dropout a train() pass is deterministic: every batch norm's statistics follow.
    dims = (3, (6, 5), 2)
    what = _call(*dims, 0.0)
    model = student.hw1_basics.make_mlp(3, hidden=(6, 5), out_features=2, p=0.0)
    before = _state(student, model, what, dims)
    X = torch.randn(40, 3, generator=g) * 2 + 1
    out = student.probes.call_in_mode(model, X, True)
    expected, _, stats = _by_hand(before, 2, X, train=True)
    expect.close(
        out,
        expected,
        what=f"{what}(X) in train() mode (batch norm on the batch's own statistics)",
        rtol=1e-4,
        atol=1e-4,
    )
    _check_statistics(before, _state(student, model, what, dims), stats, what)
    _check_gradients(student, model, what, dims, g)


def _is_parameter(key: str) -> bool:
    return key.split(".")[-1] not in RUNNING


def _check_gradients(student, model, what: str, dims: tuple, g: torch.Generator) -> None:
    """In eval() mode, the gradients of the model's parameters and input are those of the
    computation its state describes."""
    state = _state(student, model, what, dims)
    X = torch.randn(16, dims[0], generator=g)
    upstream = torch.randn(16, dims[2], generator=g)
    model.eval()
    got = student.probes.backward(model, X, wrt=[0], params_of=model, upstream=upstream)
    leaves = {k: v.clone().requires_grad_(_is_parameter(k)) for k, v in state.items()}
    x = X.double().requires_grad_(True)
    out, _, _ = _by_hand(leaves, len(dims[1]), x)
    (out * upstream.double()).sum().backward()
    expect.close(
        got["grads"][0],
        x.grad,
        what=f"the gradient of {what}(X) in eval() mode w.r.t. X",
        rtol=1e-3,
        atol=1e-4,
    )
    parameters = {k: v for k, v in _layout(*dims).items() if _is_parameter(k)}
    for name, grad in _numbered(got["param_grads"], parameters).items():
        assert name in leaves and leaves[name].requires_grad, (
            f"{what}: named_parameters() has {name}, which its state_dict() does not"
        )
        expect.close(
            grad,
            leaves[name].grad,
            what=f"the gradient of {what}(X) w.r.t. {name}",
            rtol=1e-3,
            atol=1e-4,
        )
    assert len(got["param_grads"]) == sum(v.requires_grad for v in leaves.values()), (
        f"{what}: every weight and bias of its state_dict() should be a parameter"
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
    # What was trained is what the exercise asks for, as its behaviour shows.
    g = torch.Generator().manual_seed(seed)
    _check_behaviour(student, model, "make_mlp(2) after training", (2, (64, 64), 1), g)
