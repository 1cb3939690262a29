"""Probes for sem4_regularization: trusted helpers that hidden tests run *inside the worker*.

A small network with parameters and buffers of given values (for the penalties of S4.3 and the
early stopping of S4.4, so neither depends on the student's own layers), a call that reports
whether it modified its input in place, a backward pass with a given upstream gradient (the
sum of a batch norm's output has a zero gradient, so a plain ``.sum()`` would prove nothing),
and readers that turn whatever the submission stored (a dict, an ``OrderedDict``, tensors that
still require grad) into plain data. Like every probe they are not secret and decide nothing:
the tests judge whatever comes back, in the trusted process.
"""

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F


class ProbeNet(nn.Module):
    """``Linear(3, 4) → BatchNorm1d(4) → Tanh → Linear(4, 2)``: torch's own layers.

    Parameters ``fc1.weight``, ``fc1.bias``, ``bn.weight``, ``bn.bias``, ``fc2.weight``,
    ``fc2.bias``; buffers ``bn.running_mean``, ``bn.running_var``, ``bn.num_batches_tracked``.
    A test sets them with :func:`torchgrade.probes.set_parameters` and :func:`set_buffers`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.fc2 = nn.Linear(4, 2)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.tanh(self.bn(self.fc1(X))))


def probe_net(
    parameters: dict[str, torch.Tensor] | None = None,
    buffers: dict[str, torch.Tensor] | None = None,
) -> ProbeNet:
    """A :class:`ProbeNet` with the given parameter and buffer values (others: torch's init)."""
    net = ProbeNet()
    with torch.no_grad():
        own = dict(net.named_parameters())
        for name, value in (parameters or {}).items():
            own[name].copy_(value)
    set_buffers(net, buffers or {})
    return net


class OneTensor(nn.Module):
    """A module whose only parameter is ``theta``, a copy of the given tensor."""

    def __init__(self, theta: torch.Tensor) -> None:
        super().__init__()
        self.theta = nn.Parameter(theta.detach().clone().float())

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X * self.theta


def set_buffers(module: nn.Module, values: dict[str, torch.Tensor]) -> None:
    """Overwrite buffers in place by name (shapes must match), e.g. running statistics."""
    own = dict(module.named_buffers())
    with torch.no_grad():
        for name, value in values.items():
            own[name].copy_(value)


def call_watching_input(module: Callable[..., Any], x: torch.Tensor) -> dict:
    """``module(x)``, and whether the call changed ``x`` in place.

    Returns:
        ``{"output": the output (detached), "input_modified": bool}``.
    """
    before = x.clone()
    output = module(x)
    if isinstance(output, torch.Tensor):
        output = output.detach().clone()
    return {"output": output, "input_modified": not torch.equal(x, before)}


def backward_with(module: Callable[..., Any], x: torch.Tensor, upstream: torch.Tensor) -> dict:
    """``y = module(x)`` and the gradients of ``(y * upstream).sum()``.

    Args:
        module: a module of the submission (its parameters' gradients are zeroed first).
        x: the input; cloned as a leaf that requires grad.
        upstream: ``dL/dy``, the shape of the output.

    Returns:
        ``{"output", "grad_input", "param_grads": {name: grad or None}}``, or
        ``{"output", "not_differentiable": True}`` when the output has no gradient at all.
    """
    x = x.detach().clone().requires_grad_(True)
    if isinstance(module, nn.Module):
        module.zero_grad(set_to_none=True)
    y = module(x)
    if not isinstance(y, torch.Tensor) or not y.requires_grad:
        return {
            "output": y.detach() if isinstance(y, torch.Tensor) else y,
            "not_differentiable": True,
        }
    (y * upstream).sum().backward()
    params = module.named_parameters() if isinstance(module, nn.Module) else ()
    return {
        "output": y.detach().clone(),
        "grad_input": x.grad,
        "param_grads": {name: p.grad for name, p in params},
    }


def buffer_report(module: nn.Module) -> dict:
    """How a module keeps its state: parameter names, and per buffer whether autograd sees it.

    Returns:
        ``{"parameters": [names], "state_dict": [keys],
        "buffers": {name: {"requires_grad": bool, "has_grad_fn": bool}}}``.
    """
    return {
        "parameters": [name for name, _ in module.named_parameters()],
        "state_dict": list(module.state_dict(keep_vars=True).keys()),
        "buffers": {
            name: {"requires_grad": bool(b.requires_grad), "has_grad_fn": b.grad_fn is not None}
            for name, b in module.named_buffers()
        },
    }


def penalty_backward(penalty: Callable[..., Any], model: nn.Module, C: float) -> dict:
    """``penalty(model, C)`` and its gradient with respect to every parameter of ``model``.

    Returns:
        ``{"value": the returned value (detached if a tensor), "differentiable": bool,
        "grads": {name: grad or None}}``; no backward when the value is not differentiable.
    """
    model.zero_grad(set_to_none=True)
    value = penalty(model, C)
    if not isinstance(value, torch.Tensor) or not value.requires_grad:
        if isinstance(value, torch.Tensor):
            value = value.detach()
        return {"value": value, "differentiable": False, "grads": {}}
    value.sum().backward()
    return {
        "value": value.detach().clone(),
        "differentiable": True,
        "grads": {name: p.grad for name, p in model.named_parameters()},
    }


def sgd_step(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float,
    penalty: Callable[..., Any] | None = None,
    C: float = 0.0,
    weight_decay: float = 0.0,
) -> dict[str, torch.Tensor]:
    """One SGD step on ``MSE(model(X), y) [+ penalty(model, C)]``; returns the new parameters."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    model.train()
    loss = F.mse_loss(model(X), y)
    if penalty is not None:
        loss = loss + penalty(model, C)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def read_state(owner: Any, name: str) -> Any:
    """``getattr(owner, name)`` as data: a mapping of tensors becomes ``{key: detached copy}``.

    ``EarlyStopping.best_state`` may be a dict, an ``OrderedDict`` (``copy.deepcopy`` of a
    ``state_dict``) or None; anything else comes back as a short description of its type.
    """
    value = getattr(owner, name)
    if value is None:
        return None
    if isinstance(value, Mapping):
        return {
            str(k): v.detach().clone() if isinstance(v, torch.Tensor) else f"<{type(v).__name__}>"
            for k, v in value.items()
        }
    return f"<{type(value).__name__}>"
