"""Probes for hw1_basics: trusted models and loops that hidden tests run *inside the worker*.

They let a test of one section use exactly what it needs from another without depending on
the student's version of it: a logistic-regression model with given weights for 1.5, a small
network for 1.7, a plain training loop for 1.3 and 1.6, a wrapper that records how ``fit``
drives a model. Like every probe they are not secret and decide nothing: the tests judge
whatever comes back, in the trusted process. The bench (``bench/thresholds.py``) runs the
same loops on the reference solutions.
"""

from types import ModuleType

import torch
from torch import nn
from torch.nn import functional as F


class LogitModel(nn.Module):
    """Logistic regression with given weights: one parameter ``w`` of shape ``(d, 1)``.

    Args:
        w: the initial weights, ``(d, 1)``; copied.
    """

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w.detach().clone().float())

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X @ self.w


def small_net(in_features: int, width: int, batch_norm: bool = False) -> nn.Sequential:
    """A small binary classifier: ``Linear → [BatchNorm1d] → Tanh → Linear(width, 1)``."""
    layers: list[nn.Module] = [nn.Linear(in_features, width)]
    if batch_norm:
        layers.append(nn.BatchNorm1d(width))
    layers += [nn.Tanh(), nn.Linear(width, 1)]
    return nn.Sequential(*layers)


class Recorder(nn.Module):
    """Wraps a module and records, for every forward call, the mode and the batch size.

    Attributes:
        inner: the wrapped module (its parameters are the recorder's parameters).
        modes: ``self.training`` at each call.
        sizes: ``X.shape[0]`` at each call.
    """

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner
        self.modes: list[bool] = []
        self.sizes: list[int] = []

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self.modes.append(bool(self.training))
        self.sizes.append(int(X.shape[0]))
        return self.inner(X)

    def calls(self) -> list[tuple[bool, int]]:
        """``(training, batch size)`` of every forward call so far."""
        return list(zip(self.modes, self.sizes, strict=True))


def bce_with_logits(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean BCE of ``logits`` against ``y`` of shape ``(n,)`` or ``(n, 1)`` (the library's)."""
    return F.binary_cross_entropy_with_logits(logits, y.reshape(logits.shape).to(logits.dtype))


def _trusted_bce_loss(X: torch.Tensor, w: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return bce_with_logits(X @ w, y)


def use_library_sigmoid_and_bce(module: ModuleType) -> None:
    """Give the submission's module the library's ``sigmoid`` and a library-based ``bce_loss``.

    A test of 1.5 calls this first, so that ``train_logreg`` and ``predict_proba`` are judged
    on their own: a mistake in 1.4 (or a missing 1.4 cell) costs 1.4 only.
    """
    module.sigmoid = torch.sigmoid
    module.bce_loss = _trusted_bce_loss


def train_classifier(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float,
    epochs: int,
    batch_size: int | None = None,
    adam: bool = False,
    seed: int = 0,
) -> list[float]:
    """A plain training loop on BCE with logits; the model is left in ``eval()`` mode.

    Full-batch when ``batch_size`` is None, else shuffled mini-batches (a last batch of one
    row is skipped, for batch norm). SGD, or Adam with ``adam=True``. The shuffling and
    dropout masks are drawn from ``seed``; the caller's RNG state is restored afterwards.

    Returns:
        the loss of every step.
    """
    n = X.shape[0]
    batch = n if batch_size is None else batch_size
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=lr) if adam else torch.optim.SGD(params, lr=lr)
    losses = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model.train()
        for _ in range(epochs):
            order = torch.randperm(n) if batch_size is not None else torch.arange(n)
            for start in range(0, n, batch):
                idx = order[start : start + batch]
                if len(idx) < 2:
                    continue
                loss = bce_with_logits(model(X[idx]), y[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
    model.eval()
    return losses


def sgd_step_with_penalty(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    penalty,
    C: float,
    lr: float,
) -> dict[str, torch.Tensor]:
    """One plain SGD step on ``BCE(model(X), y) + penalty(model, C)``; returns the parameters.

    ``penalty`` is the submission's ``l2_penalty``: the test compares the result with one step
    of ``torch.optim.SGD(..., weight_decay=2 * C)`` on the BCE alone.
    """
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    model.train()
    loss = bce_with_logits(model(X), y) + penalty(model, C)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return {name: p.detach().clone() for name, p in model.named_parameters()}
