"""Assertions for hidden tests whose messages are the student's feedback.

Each helper fails with a sentence that says what was called, on what shapes, and what was
expected — never the test's code or its hidden inputs::

    expect.close(student.hw1_basics.sigmoid(z), ref.hw1_basics.sigmoid(z),
                 what="sigmoid(z) for z of shape (50, 1)")
"""

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch


def kind(value: Any) -> str:
    """A short description of a value for messages: ``a tensor of shape (3, 1)``, ``None``."""
    if value is None:
        return "None"
    if isinstance(value, torch.Tensor):
        return (
            f"a {str(value.dtype).removeprefix('torch.')} tensor of shape {shape_text(value.shape)}"
        )
    if isinstance(value, bool):
        return f"the bool {value}"
    if isinstance(value, float) or (isinstance(value, int) and abs(value) < 10**15):
        return f"the number {value:g}"
    if isinstance(value, int):  # too large for a float: never formatted with :g
        return f"an integer of {len(str(abs(value)))} digits"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    name = getattr(value, "_type", None) or type(value).__name__
    return f"a {name.rsplit('.', 1)[-1]} object"


def shape_text(shape: Sequence[int | None]) -> str:
    dims = ", ".join("n" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


def tensor(
    value: Any,
    *,
    what: str,
    shape: Sequence[int | None] | None = None,
    dtype: torch.dtype | None = torch.float32,
) -> torch.Tensor:
    """Assert ``value`` is a tensor of the given shape (``None`` = any size) and dtype."""
    if not isinstance(value, torch.Tensor):
        raise AssertionError(f"{what} should return a torch.Tensor, got {kind(value)}")
    if shape is not None and (
        value.dim() != len(shape)
        or any(
            want is not None and got != want for got, want in zip(value.shape, shape, strict=True)
        )
    ):
        raise AssertionError(
            f"{what} should have shape {shape_text(shape)}, got {shape_text(value.shape)}"
        )
    if dtype is not None and value.dtype != dtype:
        raise AssertionError(f"{what} should have dtype {dtype}, got {value.dtype}")
    return value


def close(
    actual: Any,
    expected: Any,
    *,
    what: str,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    dtype: torch.dtype | None = None,
) -> None:
    """Assert ``actual`` has ``expected``'s shape and values, within ``atol + rtol·|expected|``.

    The shape must match exactly: a result of shape (n,) where (n, 1) is expected would
    broadcast silently in later arithmetic, which is the mistake this catches.
    """
    expected = torch.as_tensor(expected).detach()
    actual = tensor(actual, what=what, shape=tuple(expected.shape), dtype=dtype)
    a, e = actual.detach().double(), expected.double()
    if not torch.isfinite(a[torch.isfinite(e)]).all():
        raise AssertionError(f"{what} contains NaN or infinity where a finite value was expected")
    if not torch.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True):
        gaps = (a - e).abs().nan_to_num(nan=float("inf"))
        if a.numel() <= SHOWN_VALUES:
            detail = f"got {values_text(a)}, expected {values_text(e)}"
        else:
            where = tuple(int(i) for i in torch.unravel_index(gaps.argmax(), gaps.shape))
            index = f"[{', '.join(map(str, where))}]" if where else ""
            detail = (
                f"the largest difference is at {index or 'the value'}: got {a[where].item():.6g}, "
                f"expected {e[where].item():.6g}"
            )
        raise AssertionError(
            f"{what} is wrong: {detail} (tolerance {atol:g} + {rtol:g}·|expected|)"
        )


SHOWN_VALUES = 6  # a result this small is shown whole in feedback


def values_text(values: torch.Tensor) -> str:
    """A small tensor's values, rounded for reading: ``[0.5, 0.7311]`` or ``0.25``."""
    if values.dim() == 0:
        return f"{values.item():.6g}"
    flat = ", ".join(f"{v:.6g}" for v in values.reshape(-1).tolist())
    return f"[{flat}]" if values.dim() == 1 else f"[{flat}] (shape {shape_text(values.shape)})"


def number(value: Any, *, what: str) -> float:
    """Assert ``value`` is a real number or a one-element tensor; return it as a float."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_complex():
        return float(value.item())
    if isinstance(value, float):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > 2**1000:  # float() would overflow
            raise AssertionError(f"{what} should be a number of sensible size, got {kind(value)}")
        return float(value)
    raise AssertionError(f"{what} should be a number (or a one-element tensor), got {kind(value)}")


def scalar(value: Any, *, what: str) -> torch.Tensor:
    """Assert ``value`` is a scalar tensor (shape ``()`` or ``(1,)``), e.g. a loss."""
    if not isinstance(value, torch.Tensor) or value.numel() != 1 or value.dim() > 1:
        raise AssertionError(f"{what} should return a scalar tensor, got {kind(value)}")
    return value.reshape(())


def standard_normal(values: torch.Tensor, what: str) -> None:
    """Assert that ``values`` (thousands of draws) look like samples of N(0, 1).

    The bounds are five to six standard errors wide: a correct ``torch.randn`` fails them
    about once in a million runs; a uniform, constant or rescaled initialisation every time.
    """
    v = values.detach().double().reshape(-1)
    n = v.numel()
    mean, std = v.mean().item(), v.std().item()
    inside = (v.abs() < 1).double().mean().item()
    assert abs(mean) < 6 / n**0.5, f"{what} should be drawn from N(0, 1): its mean is {mean:.3f}"
    assert abs(std - 1) < 5 / (2 * n) ** 0.5 + 0.01, (
        f"{what} should be drawn from N(0, 1): its standard deviation is {std:.3f}"
    )
    assert abs(inside - 0.6827) < 0.05, (
        f"{what} should be drawn from N(0, 1): {inside:.1%} of the values lie in (-1, 1), "
        "a normal distribution has 68.3% there"
    )


def losses(value: Any, epochs: int, what: str) -> list[float]:
    """Assert ``value`` is a list of ``epochs`` finite Python floats (a training history)."""
    if not isinstance(value, list) or len(value) != epochs:
        raise AssertionError(f"{what} should return a list of {epochs} losses, got {kind(value)}")
    for i, loss in enumerate(value):
        if not isinstance(loss, float):
            raise AssertionError(
                f"{what} should return Python floats (e.g. loss.item()), "
                f"but entry {i} is {kind(loss)}"
            )
        if not math.isfinite(loss):
            raise AssertionError(f"{what} returned a non-finite loss at epoch {i}")
    return value


def array(
    value: Any,
    *,
    what: str,
    shape: Sequence[int | None] | None = None,
    dtype: Any = None,
) -> torch.Tensor:
    """Assert ``value`` is a NumPy array (of real numbers, the shape and dtype given).

    For NumPy-only exercises: a torch tensor, a list or a number is refused. Returns the array
    as a float64 tensor (a copy), ready for :func:`close`.
    """
    if isinstance(value, torch.Tensor):
        raise AssertionError(
            f"{what} should return a NumPy array (np.ndarray), got a torch tensor: "
            "this exercise is NumPy only"
        )
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{what} should return a NumPy array (np.ndarray), got {kind(value)}")
    if value.dtype.kind not in "biuf":
        raise AssertionError(f"{what} should hold real numbers, got dtype {value.dtype}")
    if dtype is not None and value.dtype != np.dtype(dtype):
        raise AssertionError(f"{what} should have dtype {np.dtype(dtype)}, got {value.dtype}")
    result = torch.from_numpy(value.astype(np.float64))
    return tensor(result, what=what, shape=shape, dtype=None)
