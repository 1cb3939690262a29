"""S3.1 Weight initializers: fans, the normal and uniform fills, Xavier, He and LeCun.

The draws are random, so the tests judge statistics over 100,000 values or more: the sample
standard deviation must be within 3 % of the target. Its standard error is below 0.3 % there,
so a correct initializer fails with a probability far below 1e-9 (``bench/thresholds_sem3_init.py``
checks 100 run seeds), while every classic mistake is off by a factor: fan_in and fan_out
swapped (2 or more on the shapes used), the variance used as the standard deviation (10 or
more), the uniform bound without sqrt(3) (0.58), the gain ignored (at most 0.75 or at least
1.33). Where ``torch.nn.init`` follows the same convention it is drawn here, in the grader, and
its standard deviation must agree too.
"""

import math

import pytest
import torch
from torch.nn import init as torch_init

from torchgrade import expect
from torchgrade.remote import StudentError

pytestmark = pytest.mark.section("S3.1")

PROBES = "torchgrade.probes.sem3_init"
REL_TOL = 0.03  # on the standard deviation; see the module docstring and the bench
GAINS = (5 / 3, math.sqrt(2.0), 0.5, 3.0)  # never 1: a forgotten gain must show
# LeakyReLU slopes for He's gain sqrt(2 / (1 + a**2)), as torch has it: >= 10 % from sqrt(2).
HE_SLOPES = (0.5, 0.6, 0.75, 1.0)
# Non-square weights, so that fan_in and fan_out differ by a factor of 4 or more.
SHAPES = ((64, 512), (512, 64), (32, 16, 3, 3), (16, 128, 5))


def _shape(seed: int) -> tuple[int, ...]:
    return SHAPES[seed % len(SHAPES)]


def _raises(call, type_name: str) -> bool:
    try:
        call()
    except StudentError as exc:
        return exc.type_name == type_name
    return False


def _draws(student, name: str, shape, repeats: int = 0, **kwargs) -> torch.Tensor:
    """At least 100,000 values from ``name`` on fresh tensors of ``shape``."""
    repeats = repeats or max(1, math.ceil(100_000 / math.prod(shape)))
    fn = getattr(student.sem3_init, name)
    result = student.import_module(PROBES).fill(fn, tuple(shape), repeats=repeats, **kwargs)
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    what = f"{name}(w{', ' + args if args else ''}) on w of shape {tuple(shape)}"
    expect.tensor(result["values"], what=what, shape=(repeats, *shape))
    assert result["same_object"], f"{what} should fill w in place and return w itself"
    return result["values"]


def _call_text(name: str, shape, **kwargs) -> str:
    args = "".join(
        f", {k}={v:.4g}" if isinstance(v, float) else f", {k}={v!r}" for k, v in kwargs.items()
    )
    return f"{name}(w{args}) on w of shape {tuple(shape)}"


def _check_std(values: torch.Tensor, want: float, what: str, hint: str = "") -> None:
    v = values.double().reshape(-1)
    assert torch.isfinite(v).all(), f"{what} contains NaN or infinity"
    mean, std = v.mean().item(), v.std().item()
    assert abs(mean) < 0.05 * want, (
        f"{what}: the values should have mean 0, got mean {mean:.3g} (std {std:.3g})"
    )
    ratio = std / want
    assert abs(ratio - 1) < REL_TOL, (
        f"{what}: the values should have standard deviation {want:.4g}, got {std:.4g} "
        f"({ratio:.3g} times the target){hint}"
    )


def _check_shape_of_distribution(values: torch.Tensor, std: float, distribution: str, what: str):
    """Normal: 68.3 % within one std; uniform: inside +-sqrt(3) std, and filling it."""
    v = values.double().reshape(-1)
    if distribution == "normal":
        inside = (v.abs() < std).double().mean().item()
        assert abs(inside - 0.6827) < 0.02, (
            f"{what} should be normal: {inside:.1%} of the values lie within one standard "
            "deviation of 0, a normal distribution has 68.3 % there (a uniform one 57.7 %)"
        )
    else:
        bound = math.sqrt(3.0) * std
        top = v.abs().max().item()
        assert top <= bound * (1 + 1e-5), (
            f"{what} should be uniform on (-a, a) with a = sqrt(3) * std = {bound:.4g}, but a "
            f"value reaches {top:.4g}"
        )
        assert top >= 0.99 * bound, (
            f"{what} should be uniform on (-a, a) with a = sqrt(3) * std = {bound:.4g}, but no "
            f"value exceeds {top:.4g} (is the bound the standard deviation itself? the variance "
            "of U(-a, a) is a**2 / 3)"
        )


def _torch_std(fill, shape, **kwargs) -> float:
    """The standard deviation of torch.nn.init's own draws, here in the grader."""
    g_state = torch.get_rng_state()
    try:
        torch.manual_seed(0)
        w = torch.empty(8, *shape)
        for i in range(8):
            fill(w[i], **kwargs)
        return w.double().std().item()
    finally:
        torch.set_rng_state(g_state)


# ----------------------------------------------------------------------------- fans


@pytest.mark.points(0.5)
@pytest.mark.public
def test_fans_of_linear_and_conv_weights(student):
    cases = {(3, 5): (5, 3), (64, 512): (512, 64), (8, 4, 3, 3): (36, 72), (6, 2, 5): (10, 30)}
    cases[(2, 3, 2, 2, 2)] = (24, 16)
    for shape, want in cases.items():
        what = f"fan_in_and_fan_out({shape})"
        got = student.sem3_init.fan_in_and_fan_out(shape)
        assert isinstance(got, (tuple, list)) and len(got) == 2, (
            f"{what} should return a tuple (fan_in, fan_out), got {expect.kind(got)}"
        )
        assert all(isinstance(f, int) and not isinstance(f, bool) for f in got), (
            f"{what} should return two Python ints, got {got!r}"
        )
        assert tuple(got) != want[::-1] or want[0] == want[1], (
            f"{what} returned {tuple(got)}: fan_in and fan_out are swapped. A weight is stored "
            "as (out_features, in_features, *kernel): fan_in counts the inputs, shape[1]"
        )
        assert tuple(got) == want, f"{what} should be {want}, got {tuple(got)}"
        assert want == torch_init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert _raises(lambda: student.sem3_init.fan_in_and_fan_out((7,)), "ValueError"), (
        "fan_in_and_fan_out((7,)) should raise ValueError: a weight has at least 2 dimensions"
    )


# ----------------------------------------------------------------------------- init_with_std_


@pytest.mark.points(0.25)
@pytest.mark.public
def test_init_with_std_normal(student, seed):
    std = (0.05, 0.2, 1.0, 2.5)[seed % 4]
    shape = (200, 500)
    what = _call_text("init_with_std_", shape, std=std, distribution="normal")
    values = _draws(student, "init_with_std_", shape, std=std, distribution="normal")
    _check_std(values, std, what, hint=" (the second argument of normal_ is the std)")
    _check_shape_of_distribution(values, std, "normal", what)


@pytest.mark.points(0.5)
def test_uniform_bound_is_sqrt3_times_std(student, seed):
    std = (0.05, 0.2, 1.0, 2.5)[seed % 4]
    shape = (200, 500)
    what = _call_text("init_with_std_", shape, std=std, distribution="uniform")
    values = _draws(student, "init_with_std_", shape, std=std, distribution="uniform")
    _check_shape_of_distribution(values, std, "uniform", what)
    _check_std(values, std, what, hint=" (U(-a, a) has std a / sqrt(3): a = sqrt(3) * std)")


@pytest.mark.points(0.25)
def test_fills_in_place_from_the_global_generator(student, worker_seed):
    probes = student.import_module(PROBES)
    fn = student.sem3_init.init_with_std_
    what = "init_with_std_(w, 0.1) on an nn.Parameter w of shape (30, 40)"
    result = probes.fill(fn, (30, 40), parameter=True, std=0.1)
    assert result["same_object"], f"{what} should return w itself (fill it in place)"
    assert result["still_parameter"], (
        f"{what} should leave w an nn.Parameter that requires grad (write under torch.no_grad())"
    )
    assert bool((result["values"] != 0).all()), f"{what} should fill every element of w"
    student.torch.manual_seed(worker_seed)
    first = probes.fill(fn, (30, 40), repeats=2, std=0.1)["values"]
    student.torch.manual_seed(worker_seed)
    again = probes.fill(fn, (30, 40), repeats=2, std=0.1)["values"]
    assert torch.equal(first, again), (
        f"{what}: after the same torch.manual_seed the values should repeat; draw from torch's "
        "global generator (weight.normal_, torch.randn, ...), never a generator of your own"
    )
    assert not torch.equal(first[0], first[1]), (
        f"{what}: two calls in a row gave the same values; draw fresh values on every call"
    )
    assert _raises(lambda: fn(student.torch.zeros(3, 3), 0.1, "laplace"), "ValueError"), (
        "init_with_std_(w, 0.1, 'laplace') should raise ValueError"
    )


# ----------------------------------------------------------------------------- Xavier

XAVIER = (("normal", torch_init.xavier_normal_), ("uniform", torch_init.xavier_uniform_))


@pytest.mark.points(0.25)
def test_xavier_std_is_sqrt_of_variance_like_torch(student, seed):
    shape = _shape(seed)
    fan_in, fan_out = torch_init._calculate_fan_in_and_fan_out(torch.empty(shape))
    want = math.sqrt(2.0 / (fan_in + fan_out))
    for distribution, fill in XAVIER:
        what = _call_text("xavier_", shape, distribution=distribution)
        values = _draws(student, "xavier_", shape, distribution=distribution)
        assert abs(_torch_std(fill, shape) / want - 1) < REL_TOL
        _check_std(values, want, what, hint=" (Glorot: Var(w) = 2 / (fan_in + fan_out))")
        _check_shape_of_distribution(values, want, distribution, what)


@pytest.mark.points(0.25)
def test_xavier_gain_not_ignored(student, seed):
    shape = _shape(seed)
    gain = GAINS[seed % len(GAINS)]
    fan_in, fan_out = torch_init._calculate_fan_in_and_fan_out(torch.empty(shape))
    want = gain * math.sqrt(2.0 / (fan_in + fan_out))
    for distribution, fill in XAVIER:
        what = _call_text("xavier_", shape, gain=gain, distribution=distribution)
        values = _draws(student, "xavier_", shape, gain=gain, distribution=distribution)
        assert abs(_torch_std(fill, shape, gain=gain) / want - 1) < REL_TOL
        _check_std(values, want, what, hint=" (the gain multiplies the standard deviation)")


# ----------------------------------------------------------------------------- He, LeCun


def _fans(shape) -> dict[str, int]:
    fan_in, fan_out = torch_init._calculate_fan_in_and_fan_out(torch.empty(shape))
    return {"fan_in": fan_in, "fan_out": fan_out}


def _kaiming(distribution: str):
    return torch_init.kaiming_normal_ if distribution == "normal" else torch_init.kaiming_uniform_


@pytest.mark.points(0.5)
def test_he_uses_fan_in_not_fan_out(student, seed):
    shape = _shape(seed)
    fans = _fans(shape)
    for mode in ("fan_in", "fan_out"):
        for distribution in ("normal", "uniform"):
            want = math.sqrt(2.0 / fans[mode])
            torch_std = _torch_std(_kaiming(distribution), shape, mode=mode, nonlinearity="relu")
            assert abs(torch_std / want - 1) < REL_TOL
            what = _call_text("he_", shape, mode=mode, distribution=distribution)
            values = _draws(student, "he_", shape, mode=mode, distribution=distribution)
            _check_std(
                values,
                want,
                what,
                hint=f" (He: std = sqrt(2 / fan) with {mode} = {fans[mode]}; the variance "
                "2 / fan is not the standard deviation)",
            )
            _check_shape_of_distribution(values, want, distribution, what)
    bad = lambda: student.sem3_init.he_(student.torch.zeros(4, 4), mode="fan_avg")  # noqa: E731
    assert _raises(bad, "ValueError"), "he_(w, mode='fan_avg') should raise ValueError"


@pytest.mark.points(0.25)
def test_he_gain_not_ignored(student, seed):
    shape = _shape(seed)
    slope = HE_SLOPES[seed % len(HE_SLOPES)]
    gain = math.sqrt(2.0 / (1 + slope**2))
    fan_in, _ = torch_init._calculate_fan_in_and_fan_out(torch.empty(shape))
    want = gain / math.sqrt(fan_in)
    torch_std = _torch_std(torch_init.kaiming_normal_, shape, a=slope, nonlinearity="leaky_relu")
    assert abs(torch_std / want - 1) < REL_TOL
    what = _call_text("he_", shape, gain=gain)
    values = _draws(student, "he_", shape, gain=gain)
    _check_std(values, want, what, hint=" (std = gain / sqrt(fan_in))")


@pytest.mark.points(0.25)
def test_lecun_is_one_over_fan(student, seed):
    shape = _shape(seed + 1)
    fans = _fans(shape)
    for mode in ("fan_in", "fan_out"):
        for distribution in ("normal", "uniform"):
            want = 1.0 / math.sqrt(fans[mode])
            torch_std = _torch_std(_kaiming(distribution), shape, mode=mode, nonlinearity="linear")
            assert abs(torch_std / want - 1) < REL_TOL
            what = _call_text("lecun_", shape, mode=mode, distribution=distribution)
            values = _draws(student, "lecun_", shape, mode=mode, distribution=distribution)
            _check_std(values, want, what, hint=f" (LeCun: std = 1 / sqrt({mode}))")
            _check_shape_of_distribution(values, want, distribution, what)
    bad = lambda: student.sem3_init.lecun_(student.torch.zeros(4, 4), mode="fan_avg")  # noqa: E731
    assert _raises(bad, "ValueError"), "lecun_(w, mode='fan_avg') should raise ValueError"
