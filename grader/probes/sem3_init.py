"""Probes for sem3_init: trusted helpers that hidden tests run *inside the worker*.

An initializer called on a fresh tensor or ``nn.Parameter`` (with what it returned and whether
it wrote in place), a call that reports whether it modified its inputs, small networks with
weights drawn from a given seed (for the over-fitting check of S3.5, so it does not depend on
the student's activations), a model that records the batches it sees, and objectives for the
hyper-parameter search of S3.6 that remember every call. Like every probe they are not secret
and decide nothing: the tests judge whatever comes back, in the trusted process.
"""

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F


def fill(
    init: Callable[..., Any],
    shape: tuple[int, ...],
    *,
    repeats: int = 1,
    parameter: bool = False,
    **kwargs: Any,
) -> dict:
    """``init(w, **kwargs)`` on ``repeats`` fresh tensors of ``shape`` (zeros before the call).

    Args:
        parameter: make each ``w`` an ``nn.Parameter`` (a leaf that requires grad), as the
            weight of a layer is.

    Returns:
        ``{"values": (repeats, *shape) float32 copy of every filled w, "same_object": init
        returned w itself every time, "still_parameter": w is still an nn.Parameter that
        requires grad}``.
    """
    values, same, still = [], True, True
    for _ in range(repeats):
        w = torch.zeros(shape)
        if parameter:
            w = nn.Parameter(w)
        returned = init(w, **kwargs)
        same = same and returned is w
        still = still and isinstance(w, nn.Parameter) == parameter and w.requires_grad == parameter
        values.append(w.detach().clone().float())
    return {"values": torch.stack(values), "same_object": same, "still_parameter": still}


def call_watching_inputs(fn: Callable[..., Any], *args: torch.Tensor, **kwargs: Any) -> dict:
    """``fn(*args, **kwargs)``, and whether the call changed any tensor argument in place.

    Returns:
        ``{"output": what fn returned (tensors detached), "inputs_modified": bool}``.
    """
    before = [a.clone() for a in args]
    output = fn(*args, **kwargs)
    if isinstance(output, (tuple, list)):
        output = type(output)(o.detach().clone() if torch.is_tensor(o) else o for o in output)
    elif torch.is_tensor(output):
        output = output.detach().clone()
    changed = any(not torch.equal(a, b) for a, b in zip(args, before, strict=True))
    return {"output": output, "inputs_modified": changed}


def rng_untouched(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> dict:
    """``fn(*args, **kwargs)`` between two snapshots of torch's global generator.

    Returns:
        ``{"output": what fn returned, "global_rng_untouched": bool}``.
    """
    state = torch.get_rng_state()
    output = fn(*args, **kwargs)
    return {"output": output, "global_rng_untouched": torch.equal(state, torch.get_rng_state())}


def mlp(seed: int, in_features: int = 2, hidden: int = 64) -> nn.Sequential:
    """``Linear → ReLU → Linear → ReLU → Linear(…, 1)``, torch's layers, weights from ``seed``."""
    g = torch.Generator().manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(in_features, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, 1),
    )
    _reinit(model, g)
    return model


def linear(seed: int, in_features: int = 2) -> nn.Linear:
    """A logistic-regression model ``Linear(in_features, 1)`` with weights from ``seed``."""
    model = nn.Linear(in_features, 1)
    _reinit(model, torch.Generator().manual_seed(seed))
    return model


def _reinit(model: nn.Module, g: torch.Generator) -> None:
    """nn.Linear's own distribution, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn from ``g``."""
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                bound = 1 / math.sqrt(layer.in_features)
                for p in (layer.weight, layer.bias):
                    p.copy_((2 * torch.rand(p.shape, generator=g) - 1) * bound)


class Recording(nn.Module):
    """Wraps a model and records the number of rows of every input it is called with."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner
        self.rows: list[int] = []

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self.rows.append(int(X.shape[0]))
        return self.inner(X)


def recording(inner: nn.Module) -> Recording:
    return Recording(inner)


class LrOnly:
    """An objective that only the learning rate moves: ``-(log10(lr) - center)**2``.

    The lecture's picture of an important and an unimportant hyper-parameter. ``calls``
    records every ``(lr, weight_decay, score)`` it answered, in order.
    """

    def __init__(self, center: float) -> None:
        self.center = center
        self.calls: list[tuple[float, float, float]] = []

    def __call__(self, lr: float, weight_decay: float) -> float:
        score = -((math.log10(lr) - self.center) ** 2)
        self.calls.append((float(lr), float(weight_decay), score))
        return score


class TinyTraining:
    """Validation accuracy of a 2-16-1 MLP after full-batch SGD with ``(lr, weight_decay)``.

    Deterministic: the same initial weights (from ``seed``) for every call. ``calls`` records
    every ``(lr, weight_decay, score)`` it answered, in order.
    """

    def __init__(
        self,
        X_train: torch.Tensor,
        y_train: torch.Tensor,
        X_val: torch.Tensor,
        y_val: torch.Tensor,
        *,
        epochs: int = 30,
        seed: int = 0,
    ) -> None:
        self.data = (X_train, y_train.reshape(-1), X_val, y_val.reshape(-1))
        self.epochs, self.seed = epochs, seed
        self.calls: list[tuple[float, float, float]] = []

    def __call__(self, lr: float, weight_decay: float) -> float:
        X_train, y_train, X_val, y_val = self.data
        model = mlp(self.seed, X_train.shape[1], 16)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
        for _ in range(self.epochs):
            loss = F.binary_cross_entropy_with_logits(model(X_train).reshape(-1), y_train)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            score = ((model(X_val).reshape(-1) > 0).float() == y_val).float().mean().item()
        self.calls.append((float(lr), float(weight_decay), score))
        return score


def lr_only(center: float) -> LrOnly:
    return LrOnly(center)


def tiny_training(*args: Any, **kwargs: Any) -> TinyTraining:
    return TinyTraining(*args, **kwargs)
