"""Probes for sem1_backprop: trusted NumPy-facing pieces that hidden tests run *inside the worker*.

The seminar's exercises take and return NumPy arrays, so a test of one section needs stand-ins
for the others that speak the same interface: layers and a loss whose gradients come from
torch's autograd (never from hand-written formulas, which would be the exercises' answers),
functions of an array to differentiate numerically, and readers that copy a model's parameters
and gradients out as data. Like every probe they are not secret and decide nothing: the tests
judge whatever comes back, in the trusted process.
"""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F


class AutogradLayer:
    """A layer on the seminar's interface whose backward pass is torch's autograd.

    ``forward(X)`` computes ``fn(X, *params)`` with torch on views of the NumPy arrays;
    ``backward(G)`` backpropagates ``G``, adds the parameter gradients to the ``grads`` arrays
    and returns ``dL/dX``. The parameter arrays are shared with torch (``torch.from_numpy``), so
    an optimizer that updates them in place is seen by the next forward.
    """

    def __init__(self, fn: Callable[..., torch.Tensor], params: Sequence[np.ndarray]) -> None:
        self.fn = fn
        self.params = [np.array(p, dtype=np.float64) for p in params]
        self.grads = [np.zeros_like(p) for p in self.params]
        self.calls = {"forward": 0, "backward": 0, "zero_grad": 0}

    def forward(self, X: np.ndarray) -> np.ndarray:
        self.calls["forward"] += 1
        self._x = torch.tensor(np.asarray(X), dtype=torch.float64, requires_grad=True)
        self._p = [torch.from_numpy(p).requires_grad_(True) for p in self.params]
        self._y = self.fn(self._x, *self._p)
        return self._y.detach().numpy().copy()

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        self.calls["backward"] += 1
        upstream = torch.tensor(np.asarray(grad_out), dtype=torch.float64)
        grads = torch.autograd.grad(self._y, [self._x, *self._p], upstream, allow_unused=True)
        for buffer, g in zip(self.grads, grads[1:], strict=True):
            if g is not None:
                buffer += g.numpy()
        return grads[0].numpy().copy() if grads[0] is not None else np.zeros(self._x.shape)

    def zero_grad(self) -> None:
        self.calls["zero_grad"] += 1
        for g in self.grads:
            g[...] = 0.0

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return list(zip(self.params, self.grads, strict=True))


def affine(W: np.ndarray, b: np.ndarray) -> AutogradLayer:
    """``X W + b`` with parameters ``[W, b]``."""
    return AutogradLayer(lambda X, W, b: X @ W + b, [W, b])


def activation(name: str) -> AutogradLayer:
    """A parameter-free layer: ``"relu"``, ``"tanh"``, ``"square"`` (``X**2``) or ``"scale2"``."""
    fns = {
        "relu": torch.relu,
        "tanh": torch.tanh,
        "square": lambda X: X**2,
        "scale2": lambda X: 2 * X,
    }
    return AutogradLayer(fns[name], [])


def mlp(params: Sequence[np.ndarray]) -> AutogradLayer:
    """A whole network in one layer: ``relu(relu(X W1 + b1) W2 + b2) W3 + b3`` (or fewer layers).

    ``params`` is ``[W1, b1, W2, b2, ...]``; ReLU between the affine maps, none after the last.
    One object, so training it depends on no ``Sequential`` of the submission.
    """

    def forward(X: torch.Tensor, *p: torch.Tensor) -> torch.Tensor:
        for i in range(0, len(p), 2):
            X = X @ p[i] + p[i + 1]
            if i + 2 < len(p):
                X = torch.relu(X)
        return X

    return AutogradLayer(forward, params)


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy and its gradient with respect to the logits, by autograd."""
    z = torch.tensor(np.asarray(logits), dtype=torch.float64, requires_grad=True)
    loss = F.cross_entropy(z, torch.as_tensor(np.asarray(y), dtype=torch.long))
    (grad,) = torch.autograd.grad(loss, z)
    return float(loss.detach()), grad.numpy()


def parameters(model: Any) -> list[np.ndarray]:
    """Copies of the values of ``model.parameters()``, in its order."""
    return [_copy(p) for p, _ in model.parameters()]


def gradients(model: Any) -> list[np.ndarray]:
    """Copies of the gradient buffers of ``model.parameters()``, in its order."""
    return [_copy(g) for _, g in model.parameters()]


def calls(layer: AutogradLayer) -> dict[str, int]:
    """How often each method of a probe layer was called."""
    return dict(layer.calls)


class Function:
    """A scalar function of an array for the gradient check: ``f(x) = sum(tanh(A x) * c)``.

    Built around an array ``x`` (``shared``), it ignores its argument and reads that array, like
    a loss that reads a layer's weights; without one it reads its argument.
    """

    def __init__(self, A: np.ndarray, c: np.ndarray, x: np.ndarray | None = None) -> None:
        self.A, self.c = np.asarray(A, dtype=np.float64), np.asarray(c, dtype=np.float64)
        self.shared = None if x is None else np.array(x, dtype=np.float64)

    def __call__(self, x: np.ndarray) -> float:
        x = self.shared if self.shared is not None else x
        return float(np.sum(np.tanh(self.A @ x) * self.c))


def function(A: np.ndarray, c: np.ndarray) -> Function:
    """``f(x) = sum(tanh(A x) * c)`` for ``x`` of shape ``(d,)`` or ``(d, m)``."""
    return Function(A, c)


def check_shared(
    check: Callable[..., Any], A: np.ndarray, c: np.ndarray, x: np.ndarray, **kwargs: Any
) -> dict:
    """Call ``check(f, x_shared, ...)`` where ``f`` ignores its argument and reads ``x_shared``.

    That is how a gradient check of a layer's weights works (``f = lambda _: loss(layer)``).

    Returns:
        ``{"result": what check returned, "x_after": x_shared afterwards}``.
    """
    f = Function(A, c, x)
    result = check(f, f.shared, **kwargs)
    return {"result": result, "x_after": f.shared.copy()}


def call_watching_inputs(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> dict:
    """``fn(*args, **kwargs)``, and which of the array arguments it changed in place.

    Returns:
        ``{"output": the result, "modified": [bool per positional argument]}`` (False for
        arguments that are not arrays).
    """
    before = [np.array(a, copy=True) if isinstance(a, np.ndarray) else None for a in args]
    output = fn(*args, **kwargs)
    modified = [
        b is not None and not np.array_equal(a, b, equal_nan=True)
        for a, b in zip(args, before, strict=True)
    ]
    return {"output": output, "modified": modified}


def backward_twice(layer: Any, X: np.ndarray, G1: np.ndarray, G2: np.ndarray) -> dict:
    """Forward ``X`` once, then ``backward(G1)`` and ``backward(G2)`` without zeroing.

    Returns:
        ``{"grads_in": [both input gradients], "param_grads": [buffers after both calls]}``.
    """
    layer.forward(X)
    first = _copy(layer.backward(G1))
    second = _copy(layer.backward(G2))
    return {"grads_in": [first, second], "param_grads": gradients(layer)}


def _copy(value: Any) -> Any:
    """A copy of an array (a later call may overwrite the original); anything else as it is."""
    return value.copy() if isinstance(value, np.ndarray) else value


def add_in_place(model: Any, value: float) -> None:
    """``p += value`` for every ``(p, grad)`` of ``model.parameters()``: an optimizer's update."""
    for p, _ in model.parameters():
        p += value
