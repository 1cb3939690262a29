"""Probes: small helpers that hidden tests run *inside the worker*.

They do in the worker what cannot cross the wire: take gradients, read parameters and
buffers, copy a model, set weights, list layers. They are not secret (students may read
them) and decide nothing: whatever they return is judged by the test, in the trusted process.
Homework-specific probes live beside this file (``grader/probes/hw1_basics.py``).
"""

import copy
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

# Public, scalar attributes worth reporting for a layer (structure checks of a model).
_LAYER_FIELDS = (
    "in_features",
    "out_features",
    "num_features",
    "p",
    "eps",
    "momentum",
    "affine",
    "track_running_stats",
    "inplace",
    "negative_slope",
)


def backward(
    fn: Callable[..., Any],
    *args: Any,
    wrt: Sequence[int] = (),
    params_of: nn.Module | None = None,
    upstream: torch.Tensor | None = None,
    **kwargs: Any,
) -> dict:
    """Call ``fn(*args, **kwargs)`` and backpropagate ``(output * upstream).sum()``.

    Args:
        fn: any callable of the submission (a function, a module).
        wrt: indices of positional tensor arguments to differentiate with respect to; each is
            cloned as a leaf with ``requires_grad=True``.
        params_of: a module whose parameters' gradients to return as well (zeroed first).
        upstream: the gradient flowing into the output (default: ones). Needed where the
            gradient of a plain sum vanishes, e.g. through a batch normalization.

    Returns:
        ``{"output": detached output, "grads": [grad per index in wrt (None if unused)],
        "param_grads": {name: grad or None}}``.
    """
    args = list(args)
    for i in wrt:
        args[i] = args[i].detach().clone().requires_grad_(True)
    if params_of is not None:
        params_of.zero_grad(set_to_none=True)
    output = fn(*args, **kwargs)
    (output.sum() if upstream is None else (output * upstream).sum()).backward()
    param_grads = {}
    if params_of is not None:
        param_grads = {name: p.grad for name, p in params_of.named_parameters()}
    return {
        "output": output.detach(),
        "grads": [args[i].grad for i in wrt],
        "param_grads": param_grads,
    }


def named_parameters(module: nn.Module) -> dict[str, torch.Tensor]:
    """``{name: parameter}`` (detached copies)."""
    return {name: p.detach().clone() for name, p in module.named_parameters()}


def named_buffers(module: nn.Module) -> dict[str, torch.Tensor]:
    """``{name: buffer}`` (copies), e.g. a batch norm's running statistics."""
    return {name: b.detach().clone() for name, b in module.named_buffers()}


def state_dict(module: nn.Module) -> dict[str, torch.Tensor]:
    """``module.state_dict()`` as data (copies): what a test checks structure and behaviour
    against, instead of trusting how the model describes itself."""
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


def set_parameters(module: nn.Module, values: dict[str, torch.Tensor]) -> None:
    """Overwrite parameters in place by name (shapes must match)."""
    params = dict(module.named_parameters())
    with torch.no_grad():
        for name, value in values.items():
            params[name].copy_(value)


def clone(obj: Any) -> Any:
    """A deep copy (e.g. a model before one training step, to compare two updates)."""
    return copy.deepcopy(obj)


def is_training(module: nn.Module) -> bool:
    return bool(module.training)


def layers(module: nn.Module) -> list[dict]:
    """One dict per direct child: its class name, qualified type and its scalar settings."""
    out = []
    for child in module.children():
        info = {
            "type": type(child).__name__,
            "mro": [f"{c.__module__}.{c.__qualname__}" for c in type(child).__mro__],
        }
        for field in _LAYER_FIELDS:
            value = getattr(child, field, None)
            if isinstance(value, (bool, int, float)):
                info[field] = value
        out.append(info)
    return out


def memory_kib() -> dict[str, int]:
    """This worker's peak resident memory and the part that is its own (not shared with the
    template it was forked from), in KiB — for the benchmark."""
    fields = {}
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("Rss", "Pss", "Private_Clean", "Private_Dirty"):
                fields[name] = int(rest.split()[0])
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
    return {
        "peak_rss": peak,
        "rss": fields["Rss"],
        "pss": fields["Pss"],
        "private": fields["Private_Clean"] + fields["Private_Dirty"],
    }


def call_in_mode(module: nn.Module, X: torch.Tensor, training: bool) -> torch.Tensor:
    """``module(X)`` in train or eval mode, without gradients, leaving the mode as it was."""
    was = module.training
    module.train(training)
    try:
        with torch.no_grad():
            return module(X)
    finally:
        module.train(was)
