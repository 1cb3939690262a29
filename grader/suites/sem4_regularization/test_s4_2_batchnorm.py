"""S4.2 BatchNorm1d from scratch, compared with ``nn.BatchNorm1d`` built here, in the grader.

Every comparison runs the student's layer (in the worker) and torch's layer (here) on the same
batches, with the same weight and bias, over several steps and random batch sizes. Features
have a standard deviation of at least 0.5, where float32 batch norms agree to about 1e-5, so a
tolerance of 1e-4 accepts every way of computing the statistics (two-pass, ``E[x²] - E[x]²``,
``torch.var_mean``, ``rsqrt``) and rejects each classic mistake, which is off by 1e-2 or more.
When a result matches a known mistake instead, the message names it.
"""

import pytest
import torch
from torch import nn

from torchgrade import expect
from torchgrade.remote import StudentError

pytestmark = pytest.mark.section("S4.2")

PROBES = "torchgrade.probes.sem4_regularization"
TOL = {"rtol": 1e-4, "atol": 1e-4}
GRAD_TOL = {"rtol": 1e-3, "atol": 1e-4}


# ----------------------------------------------------------------------------- inputs


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _feature_stats(g: torch.Generator, C: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A mean in [-2, 2] and a standard deviation in [0.5, 3] per feature."""
    return torch.rand(C, generator=g) * 4 - 2, torch.rand(C, generator=g) * 2.5 + 0.5


def _batch(g: torch.Generator, n: int, stats: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    mean, std = stats
    return torch.randn(n, mean.numel(), generator=g) * std + mean


def _sizes(g: torch.Generator, steps: int, low: int = 4, high: int = 40) -> list[int]:
    return [int(n) for n in torch.randint(low, high + 1, (steps,), generator=g)]


# ----------------------------------------------------------------------------- layers


def _torch_bn(C: int, weight: torch.Tensor, bias: torch.Tensor, **kwargs) -> nn.BatchNorm1d:
    bn = nn.BatchNorm1d(C, **kwargs)
    with torch.no_grad():
        bn.weight.copy_(weight)
        bn.bias.copy_(bias)
    return bn


def _student_bn(student, C: int, weight: torch.Tensor, bias: torch.Tensor, **kwargs):
    """The student's BatchNorm1d(C, **kwargs) with the given weight and bias."""
    bn = student.sem4_regularization.BatchNorm1d(C, **kwargs)
    try:
        student.probes.set_parameters(bn, {"weight": weight, "bias": bias})
    except StudentError as exc:
        raise AssertionError(
            f"BatchNorm1d({C}) should have parameters `weight` and `bias` of shape ({C},), "
            f"like nn.BatchNorm1d (setting them failed: {exc.type_name}: {exc.message})"
        ) from None
    return bn


def _pair(student, g: torch.Generator, C: int, **kwargs):
    weight = torch.rand(C, generator=g) * 1.5 + 0.5
    bias = torch.randn(C, generator=g)
    return _student_bn(student, C, weight, bias, **kwargs), _torch_bn(C, weight, bias, **kwargs)


def _args(C: int, kwargs: dict) -> str:
    return ", ".join([str(C), *(f"{k}={v:g}" for k, v in kwargs.items())])


def _buffer(bn, name: str, what: str, C: int) -> torch.Tensor:
    value = getattr(bn, name)
    return expect.tensor(value, what=f"{what}.{name}", shape=(C,)).detach()


# ----------------------------------------------------------------------------- trusted formulas


def _normalize(x, mean, var, weight, bias, eps, eps_outside=False):
    scale = var.sqrt() + eps if eps_outside else (var + eps).sqrt()
    return weight * (x - mean) / scale + bias


def _running(batches: list[torch.Tensor], momentum: float, *, unbiased: bool = True):
    """running_mean and running_var after training on ``batches`` (torch's update rule)."""
    C = batches[0].shape[1]
    mean, var = torch.zeros(C, dtype=torch.float64), torch.ones(C, dtype=torch.float64)
    for x in batches:
        x = x.double()
        mean = (1 - momentum) * mean + momentum * x.mean(0)
        var = (1 - momentum) * var + momentum * x.var(0, correction=1 if unbiased else 0)
    return mean.float(), var.float()


def _check(actual, expected, *, what: str, mistakes: dict[str, torch.Tensor], tol: dict) -> None:
    """``expect.close``, but a result that matches a known mistake gets that mistake's name."""
    if isinstance(actual, torch.Tensor) and actual.shape == expected.shape:
        a = actual.detach().double()
        if not torch.allclose(a, expected.double(), **tol):
            for hint, wrong in mistakes.items():
                if torch.allclose(a, wrong.double(), **tol):
                    raise AssertionError(f"{what} is wrong: {hint}")
    expect.close(actual, expected, what=what, **tol)


# ----------------------------------------------------------------------------- tests


@pytest.mark.points(0.25)
@pytest.mark.public
def test_parameters_and_buffers_at_init(student, seed):
    C = 3 + seed % 5
    what = f"BatchNorm1d({C})"
    bn = student.sem4_regularization.BatchNorm1d(C)
    for name, want in (
        ("weight", torch.ones(C)),
        ("bias", torch.zeros(C)),
        ("running_mean", torch.zeros(C)),
        ("running_var", torch.ones(C)),
    ):
        expect.close(getattr(bn, name), want, what=f"{what}.{name}", rtol=0.0, atol=0.0)
    tracked = expect.number(bn.num_batches_tracked, what=f"{what}.num_batches_tracked")
    assert tracked == 0, f"{what}.num_batches_tracked should start at 0, got {tracked:g}"
    keys = set(student.import_module(PROBES).buffer_report(bn)["state_dict"])
    want_keys = set(nn.BatchNorm1d(C).state_dict())
    assert keys == want_keys, (
        f"{what}.state_dict() should have the keys of nn.BatchNorm1d, {sorted(want_keys)}; "
        f"got {sorted(keys)} (register the running statistics with self.register_buffer)"
    )
    custom = student.sem4_regularization.BatchNorm1d(C, eps=1e-3, momentum=0.25)
    for name, want in (("num_features", C), ("eps", 1e-3), ("momentum", 0.25)):
        got = expect.number(getattr(custom, name), what=f"BatchNorm1d({C}, eps=1e-3, ...).{name}")
        assert abs(got - want) < 1e-12, (
            f"BatchNorm1d({C}, eps=1e-3, momentum=0.25).{name} should be {want:g}, got {got:g}"
        )


@pytest.mark.points(0.25)
@pytest.mark.public
def test_train_mode_normalizes_each_feature(student, seed):
    g = _gen(seed)
    C, n = 4, 10 + seed % 20
    x = _batch(g, n, _feature_stats(g, C))
    bn = student.sem4_regularization.BatchNorm1d(C)
    bn.train()
    what = f"BatchNorm1d({C}) in train mode (weight 1, bias 0) on x of shape ({n}, {C})"
    y = expect.tensor(bn(x), what=what, shape=(n, C)).detach()
    mean = y.mean(dim=0)
    assert bool((mean.abs() < 1e-4).all()), (
        f"{what}: every output column should have mean 0, got means up to {mean.abs().max():.3g}"
    )
    power = (y**2).mean(dim=0)  # 1 - eps/var with the biased variance: 1 within 4e-5 here
    assert bool(((power - 1).abs() < 1e-3).all()), (
        f"{what}: every output column should have a (biased, divide-by-N) variance of 1, got "
        f"{power.min():.4f}..{power.max():.4f}"
        + (
            "; normalize with the biased batch variance (divide by N), not the unbiased one"
            if bool(((power - (n - 1) / n).abs() < 1e-3).all())
            else ""
        )
    )


@pytest.mark.points(0.5)
def test_train_output_uses_the_biased_batch_variance(student, seed):
    g = _gen(seed)
    C = 5
    stats = _feature_stats(g, C)
    bn, ref = _pair(student, g, C)
    bn.train()
    for n in _sizes(g, 4):
        x = _batch(g, n, stats)
        what = f"BatchNorm1d({C}) in train mode on x of shape ({n}, {C})"
        mu, unbiased = x.mean(0), x.var(0, correction=1)
        _check(
            bn(x),
            ref(x).detach(),
            what=what,
            mistakes={
                "it normalizes with the unbiased variance (divide by N - 1); the forward pass "
                "uses the biased batch variance (divide by N)": _normalize(
                    x, mu, unbiased, ref.weight.detach(), ref.bias.detach(), ref.eps
                ),
            },
            tol=TOL,
        )


@pytest.mark.points(0.5)
def test_running_var_uses_the_unbiased_variance(student, seed):
    g = _gen(seed)
    C = 4
    stats = _feature_stats(g, C)
    bn, ref = _pair(student, g, C)
    bn.train()
    batches = [_batch(g, n, stats) for n in _sizes(g, 4, low=3, high=12)]
    for x in batches:
        bn(x)
        ref(x)
    what = f"BatchNorm1d({C}).running_var after {len(batches)} train-mode batches"
    _check(
        _buffer(bn, "running_var", f"BatchNorm1d({C})", C),
        ref.running_var,
        what=what,
        mistakes={
            "the running variance averages the unbiased batch variance (divide by N - 1), as "
            "nn.BatchNorm1d does; it looks like you used the biased one": _running(
                batches, 0.1, unbiased=False
            )[1],
        },
        tol=TOL,
    )
    expect.close(
        _buffer(bn, "running_mean", f"BatchNorm1d({C})", C),
        ref.running_mean,
        what=f"BatchNorm1d({C}).running_mean after {len(batches)} train-mode batches",
        **TOL,
    )


@pytest.mark.points(0.5)
def test_momentum_is_the_weight_of_the_new_batch(student, seed):
    g = _gen(seed)
    C = 3
    kwargs = {"eps": 1e-3, "momentum": (0.05, 0.2, 0.3)[seed % 3]}
    stats = _feature_stats(g, C)
    bn, ref = _pair(student, g, C, **kwargs)
    bn.train()
    batches = [_batch(g, n, stats) for n in _sizes(g, 3)]
    for x in batches:
        bn(x)
        ref(x)
    label = f"BatchNorm1d({_args(C, kwargs)})"
    reversed_mean, reversed_var = _running(batches, 1 - kwargs["momentum"])
    hint = (
        "momentum is the weight of the NEW batch statistic (torch's convention): "
        "running = (1 - momentum) * running + momentum * batch_statistic"
    )
    for name, wrong in (("running_mean", reversed_mean), ("running_var", reversed_var)):
        _check(
            _buffer(bn, name, label, C),
            getattr(ref, name),
            what=f"{label}.{name} after {len(batches)} train-mode batches",
            mistakes={hint: wrong},
            tol=TOL,
        )


@pytest.mark.points(0.5)
def test_eval_uses_running_statistics_not_batch_statistics(student, seed):
    g = _gen(seed)
    C = 4
    bn, ref = _pair(student, g, C)
    running = {
        "running_mean": torch.randn(C, generator=g),
        "running_var": torch.rand(C, generator=g) * 3 + 0.5,
        "num_batches_tracked": torch.tensor(7),
    }
    try:
        student.import_module(PROBES).set_buffers(bn, running)
    except StudentError:
        raise AssertionError(
            f"BatchNorm1d({C}) should have the buffers running_mean, running_var and "
            "num_batches_tracked (self.register_buffer), like nn.BatchNorm1d"
        ) from None
    with torch.no_grad():
        ref.running_mean.copy_(running["running_mean"])
        ref.running_var.copy_(running["running_var"])
    ref.eval()
    bn.eval()
    stats = _feature_stats(g, C)  # a batch unlike the running statistics
    for n in (3 + seed % 30, 1):  # one sample: eval mode needs no batch at all
        x = _batch(g, n, stats)
        what = f"BatchNorm1d({C}) in eval mode on x of shape ({n}, {C})"
        mistakes = {}
        if n > 1:
            hint = "eval mode must normalize with running_mean and running_var, not the batch's"
            mistakes[hint] = _normalize(
                x, x.mean(0), x.var(0, correction=0), ref.weight.detach(), ref.bias.detach(), 1e-5
            )
        _check(bn(x), ref(x).detach(), what=what, mistakes=mistakes, tol=TOL)
    for name in ("running_mean", "running_var"):
        expect.close(
            _buffer(bn, name, f"BatchNorm1d({C})", C),
            running[name],
            what=f"BatchNorm1d({C}).{name} after eval-mode calls (eval must not update it)",
            rtol=0.0,
            atol=0.0,
        )


@pytest.mark.points(0.25)
def test_eps_inside_the_square_root(student, seed):
    g = _gen(seed)
    C, n = 3, 16 + seed % 16
    x = _batch(g, n, _feature_stats(g, C))
    # Feature 0: mean 0, standard deviation 0.01, where eps = 1e-5 weighs 10% of the variance.
    tiny = torch.randn(n, generator=g)
    x[:, 0] = (tiny - tiny.mean()) / tiny.std(correction=0) * 0.01
    bn, ref = _pair(student, g, C)
    bn.train()
    what = f"BatchNorm1d({C}) in train mode on x of shape ({n}, {C}), one feature with std 0.01"
    _check(
        bn(x),
        ref(x).detach(),
        what=what,
        mistakes={
            "eps belongs under the square root, (x - mean) / sqrt(var + eps), not added to "
            "the standard deviation": _normalize(
                x,
                x.mean(0),
                x.var(0, correction=0),
                ref.weight.detach(),
                ref.bias.detach(),
                ref.eps,
                eps_outside=True,
            ),
        },
        tol=TOL,
    )


@pytest.mark.points(0.25)
def test_num_batches_tracked_counts_training_steps(student, seed):
    g = _gen(seed)
    C, steps = 3, 2 + seed % 4
    stats = _feature_stats(g, C)
    bn = student.sem4_regularization.BatchNorm1d(C)
    for n in _sizes(g, steps):
        bn.train()
        bn(_batch(g, n, stats))
        bn.eval()
        bn(_batch(g, 5, stats))  # eval calls do not count
    got = expect.number(bn.num_batches_tracked, what=f"BatchNorm1d({C}).num_batches_tracked")
    assert got == steps, (
        f"BatchNorm1d({C}).num_batches_tracked should be {steps} after {steps} train-mode "
        f"batches (and some eval-mode calls), got {got:g}: add 1 in every train-mode forward"
    )


@pytest.mark.points(0.5)
def test_gradients_flow_through_the_batch_statistics(student, seed):
    g = _gen(seed)
    C = 4
    stats = _feature_stats(g, C)
    bn, ref = _pair(student, g, C)
    probes = student.import_module(PROBES)
    for mode, n in (("train", 6 + seed % 20), ("train", 4), ("eval", 7)):
        if mode == "eval":  # given running statistics: this test is about gradients only
            running = {
                "running_mean": torch.randn(C, generator=g),
                "running_var": torch.rand(C, generator=g) * 3 + 0.5,
            }
            try:
                probes.set_buffers(bn, running)
            except StudentError:
                raise AssertionError(
                    f"BatchNorm1d({C}) should have the buffers running_mean and running_var "
                    "(self.register_buffer), like nn.BatchNorm1d"
                ) from None
            with torch.no_grad():
                ref.running_mean.copy_(running["running_mean"])
                ref.running_var.copy_(running["running_var"])
        getattr(bn, mode)()
        getattr(ref, mode)()
        x, upstream = _batch(g, n, stats), torch.randn(n, C, generator=g)
        what = f"BatchNorm1d({C}) in {mode} mode on x of shape ({n}, {C})"
        try:
            result = probes.backward_with(bn, x, upstream)
        except StudentError as exc:
            raise AssertionError(
                f"forward and backward through {what} failed: {exc.type_name}: "
                f"{exc.message.split('. ')[0]}"
            ) from None
        assert not result.get("not_differentiable"), (
            f"the output of {what} is not differentiable: build it from x, weight and bias "
            "with tensor operations (no .detach(), .data or torch.no_grad() on that path)"
        )
        leaf = x.clone().requires_grad_(True)
        ref.zero_grad()
        out = ref(leaf)
        (out * upstream).sum().backward()
        expect.close(result["output"], out.detach(), what=what, **TOL)
        grads = result["param_grads"]
        for name, got, want in (
            ("x", result["grad_input"], leaf.grad),
            ("weight", grads.get("weight"), ref.weight.grad),
            ("bias", grads.get("bias"), ref.bias.grad),
        ):
            hint = (
                " (in train mode the batch mean and variance depend on x: do not detach them)"
                if name == "x" and mode == "train"
                else ""
            )
            assert got is not None, f"{what}: {name} receives no gradient{hint}"
            expect.close(
                got, want, what=f"the gradient with respect to {name} of {what}{hint}", **GRAD_TOL
            )


@pytest.mark.points(0.25)
def test_running_stats_are_buffers_outside_the_graph(student, seed):
    g = _gen(seed)
    C = 3
    stats = _feature_stats(g, C)
    bn = student.sem4_regularization.BatchNorm1d(C)
    probes = student.import_module(PROBES)
    what = f"BatchNorm1d({C})"
    try:
        for n in (8, 12, 5):
            bn.train()
            probes.backward_with(bn, _batch(g, n, stats), torch.randn(n, C, generator=g))
        bn.eval()
        probes.backward_with(bn, _batch(g, 6, stats), torch.randn(6, C, generator=g))
    except StudentError as exc:
        raise AssertionError(
            f"training {what} for a few steps (forward, backward) and then calling backward "
            f"in eval mode fails: {exc.type_name}: {exc.message.split('. ')[0]} — update the "
            "running statistics under torch.no_grad() (or from detached statistics)"
        ) from None
    report = probes.buffer_report(bn)
    assert set(report["parameters"]) == {"weight", "bias"}, (
        f"{what}'s parameters should be exactly weight and bias, got {report['parameters']}: "
        "the running statistics are buffers (self.register_buffer), not nn.Parameter"
    )
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        assert name in report["buffers"], (
            f"{what} should register {name} as a buffer (self.register_buffer)"
        )
        flags = report["buffers"][name]
        assert not flags["requires_grad"] and not flags["has_grad_fn"], (
            f"after training steps, {what}.{name} is part of the autograd graph: update the "
            "running statistics under torch.no_grad() (or from detached statistics)"
        )


@pytest.mark.points(0.25)
def test_train_batch_of_one_raises_value_error(student, seed):
    C = 3 + seed % 3
    bn = student.sem4_regularization.BatchNorm1d(C)
    bn.train()
    x = torch.randn(1, C, generator=_gen(seed))
    try:
        bn(x)
    except StudentError as exc:
        assert exc.type_name == "ValueError", (
            f"BatchNorm1d({C}) in train mode on x of shape (1, {C}) should raise ValueError "
            f"(no variance from one sample), got {exc.type_name}"
        )
        return
    raise AssertionError(
        f"BatchNorm1d({C}) in train mode on x of shape (1, {C}) should raise ValueError "
        "(no variance from one sample), but it returned"
    )
