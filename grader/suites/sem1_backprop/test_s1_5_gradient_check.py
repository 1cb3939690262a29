"""S1.5 The numerical gradient check, verified both ways.

The function differentiated is the grader's ``f(x) = sum(tanh(A x) * c)`` (in the worker, see
the probes), whose exact gradient autograd gives here. The step is large (``eps = 1e-3``) where
the test tells central differences (error ``O(eps^2)``) from one-sided ones (``O(eps)``). The
check must accept the exact gradient and reject a gradient with one wrong entry.
"""

import numpy as np
import pytest
import torch

from torchgrade import expect

pytestmark = pytest.mark.section("S1.5")

PROBES = "torchgrade.probes.sem1_backprop"


def _case(seed: int, matrix: bool = False):
    """``A``, ``c``, ``x`` and the exact gradient of ``sum(tanh(A x) * c)`` at ``x``."""
    rng = np.random.default_rng(seed)
    p, d = 4 + seed % 3, 3 + seed % 4
    cols = (2,) if matrix else ()
    A, x = rng.normal(size=(p, d)), rng.normal(size=(d, *cols))
    c = rng.normal(size=(p, *cols))
    t = torch.tensor(x, requires_grad=True)
    value = (torch.tanh(torch.from_numpy(A) @ t) * torch.from_numpy(c)).sum()
    (grad,) = torch.autograd.grad(value, t)
    return A, c, x, grad


def _central(A, c, x, eps):
    """Central differences, computed here (the reference the student's must match)."""
    f = lambda v: float(np.sum(np.tanh(A @ v) * c))  # noqa: E731
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        grad[index] = (f(x + step) - f(x - step)) / (2 * eps)
    return torch.from_numpy(grad)


def _rel_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


@pytest.mark.points(0.15)
@pytest.mark.public
def test_numerical_gradient_close_to_exact(student, seed):
    A, c, x, exact = _case(seed)
    f = student.import_module(PROBES).function(A, c)
    what = f"numerical_gradient(f, x) for x of shape {expect.shape_text(x.shape)}"
    got = expect.array(student.sem1_backprop.numerical_gradient(f, x), what=what, shape=x.shape)
    # Loose enough for any finite difference (one-sided ones too: the next test tells them
    # apart), tight enough for any wrong formula.
    expect.close(got, exact, what=what, rtol=1e-4, atol=1e-4)


@pytest.mark.points(0.15)
def test_numerical_gradient_uses_central_differences(student, seed):
    A, c, x, _ = _case(seed, matrix=True)
    f = student.import_module(PROBES).function(A, c)
    eps = 1e-3
    what = f"numerical_gradient(f, x, eps=1e-3) for x of shape {expect.shape_text(x.shape)}"
    got = expect.array(
        student.sem1_backprop.numerical_gradient(f, x, eps), what=what, shape=x.shape
    )
    expect.close(
        got,
        _central(A, c, x, eps),
        what=f"{what} (central differences: (f(x + eps) - f(x - eps)) / (2 eps), each entry)",
        rtol=1e-6,
        atol=1e-9,
    )


@pytest.mark.points(0.2)
def test_nudges_x_itself_and_restores_it(student, seed):
    A, c, x, exact = _case(seed, matrix=True)
    probes = student.import_module(PROBES)
    result = probes.check_shared(student.sem1_backprop.numerical_gradient, A, c, x)
    what = (
        "numerical_gradient(f, W) where f ignores its argument and reads W (as a loss reads "
        "a layer's weights)"
    )
    got = expect.array(result["result"], what=what, shape=x.shape)
    if torch.allclose(got, torch.zeros_like(got)):
        raise AssertionError(
            f"{what} is all zeros: nudge the entries of x itself (in place), not of a copy, "
            "and put each one back afterwards"
        )
    expect.close(got, exact, what=what, rtol=1e-4, atol=1e-4)
    after = expect.array(result["x_after"], what=f"W after {what}", shape=x.shape)
    expect.close(
        after,
        torch.from_numpy(x),
        what=f"W after {what} (restore every entry)",
        rtol=0.0,
        atol=1e-15,
    )


@pytest.mark.points(0.2)
@pytest.mark.public
def test_gradient_check_accepts_a_correct_gradient(student, seed):
    A, c, x, exact = _case(seed, matrix=seed % 2 == 1)
    f = student.import_module(PROBES).function(A, c)
    # tol=1e-4: any finite difference accepts the exact gradient; telling central from
    # one-sided differences is the job of a hidden test.
    what = "gradient_check(f, x, grad, tol=1e-4) with the exact gradient"
    result = student.sem1_backprop.gradient_check(f, x, exact.numpy(), tol=1e-4)
    if not isinstance(result, tuple) or len(result) != 2:
        raise AssertionError(f"{what} should return a tuple (ok, err), got {expect.kind(result)}")
    ok, err = result
    err = expect.number(err, what=f"{what}: the relative error")
    assert 0 <= err < 1e-4, f"{what}: the relative error is {err:.3g}, expected about 1e-10"
    assert ok is True, f"{what} returned ok = {ok!r}, expected True (a bool)"


@pytest.mark.points(0.1)
@pytest.mark.parametrize("planted", ["one_entry_off", "sign_flipped"])
def test_gradient_check_rejects_a_planted_wrong_gradient(student, seed, planted):
    A, c, x, exact = _case(seed)
    wrong = exact.numpy().copy()
    if planted == "one_entry_off":
        wrong[seed % wrong.size] += 1e-3 * (1 + abs(wrong[seed % wrong.size]))
    else:
        wrong = -wrong
    f = student.import_module(PROBES).function(A, c)
    what = f"gradient_check(f, x, grad) with a wrong gradient ({planted.replace('_', ' ')})"
    result = student.sem1_backprop.gradient_check(f, x, wrong)
    if not isinstance(result, tuple) or len(result) != 2:
        raise AssertionError(f"{what} should return a tuple (ok, err), got {expect.kind(result)}")
    ok, err = result
    err = expect.number(err, what=f"{what}: the relative error")
    want = _rel_error(wrong, exact.numpy())
    assert abs(err - want) <= 0.05 * want, (
        f"{what}: the relative error is {err:.4g}, expected {want:.4g} = "
        "||grad - g|| / max(||grad|| + ||g||, 1e-12) with Euclidean norms"
    )
    assert ok is False, f"{what} returned ok = {ok!r}: the check must reject it (False)"


@pytest.mark.points(0.1)
def test_x_and_grad_not_modified(student, seed):
    A, c, x, exact = _case(seed)
    probes = student.import_module(PROBES)
    f = probes.function(A, c)
    result = probes.call_watching_inputs(student.sem1_backprop.gradient_check, f, x, exact.numpy())
    assert not any(result["modified"]), (
        "gradient_check(f, x, grad) leaves x or grad changed: restore every nudged entry of x "
        "and never write into grad"
    )
