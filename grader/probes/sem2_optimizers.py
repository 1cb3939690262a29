"""Probes for sem2_optimizers: a training loop that drives an optimizer on a random problem.

:func:`trajectory` runs *inside the worker* with the submission's optimizer class, and in the
trusted process with ``torch.optim``'s (or the reference's) on the same problem: the hidden
tests compare the two step by step. The problem is a sum over the parameters of an
ill-conditioned quadratic plus a quartic term, so the gradient depends on where the optimizer
went. What the loop sees besides the parameters (was ``p.grad`` changed by ``step()``? are the
parameters still leaves? which state did the optimizer keep, shaped how, shared or in the
autograd graph?) comes back as plain data too. Like every probe, nothing here is secret and
nothing here decides: the tests judge whatever comes back, in the trusted process.
"""

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn


def draw_problem(
    seed: int, shapes: Sequence[Sequence[int]], scale: float = 1.0, far: bool = False
) -> dict:
    """A random problem for parameters of the given shapes, drawn from ``seed``.

    Per parameter ``i``: a start ``init``, a minimum ``center`` and a curvature ``curv``
    spread log-uniformly over [0.1, 10] (ill-conditioned). ``scale`` multiplies the loss, so
    a small scale gives small gradients (where ``eps`` matters). ``far`` puts every minimum 3
    to 4 units from the start along each coordinate: an adaptive optimizer (whose steps are
    about ``lr`` long whatever the gradient) then never reaches it in a test's few dozen steps.
    Near a minimum its steps flip sign and amplify rounding differences chaotically, so two
    correct implementations that round differently would part ways there.
    """
    g = torch.Generator().manual_seed(seed)
    problem: dict = {"init": [], "center": [], "curv": [], "scale": float(scale)}
    for shape in shapes:
        init = torch.randn(*shape, generator=g)
        center = torch.randn(*shape, generator=g)
        if far:
            sign = torch.randint(0, 2, shape, generator=g) * 2 - 1
            center = init + sign * (3 + torch.rand(*shape, generator=g))
        problem["init"].append(init)
        problem["center"].append(center)
        problem["curv"].append(10.0 ** (2 * torch.rand(*shape, generator=g) - 1))
    return problem


def problem_loss(params: Sequence[torch.Tensor], problem: dict, skip: Sequence[int] = ()) -> Any:
    """``scale * sum_i sum(curv_i * (p_i - c_i)**2 / 2 + (p_i - c_i)**4 / 20)``, ``i`` not in
    ``skip``."""
    total = torch.zeros(())
    for i, p in enumerate(params):
        if i in skip:
            continue
        d = p - problem["center"][i]
        total = total + (problem["curv"][i] * d * d / 2 + d**4 / 20).sum()
    return total * problem["scale"]


def trajectory(
    factory: Callable[..., Any],
    problem: dict,
    groups: list[dict],
    defaults: dict,
    steps: int,
    *,
    lr_schedule: dict[int, list[float]] | None = None,
    no_grad_at: dict[int, list[int]] | None = None,
    closure: bool = False,
    restart_at: int | None = None,
    restart_defaults: dict | None = None,
) -> dict:
    """Train the problem's parameters with ``factory(param_groups, **defaults)`` for ``steps``.

    Args:
        factory: an optimizer class (or any callable that builds one).
        problem: from :func:`draw_problem`.
        groups: one dict per parameter group: ``"params"`` lists parameter indices, the other
            keys are that group's own hyper-parameters.
        defaults: keyword arguments of the constructor.
        steps: how many ``step()`` calls.
        lr_schedule: ``{t: [lr per group]}``: set ``group["lr"]`` before step ``t`` (0-based),
            as a learning-rate scheduler does.
        no_grad_at: ``{t: [indices]}``: these parameters are left out of the loss at step
            ``t``, so their ``.grad`` is None there.
        closure: call ``step(closure)`` (the closure zeroes the gradients, computes the loss and
            backpropagates) instead of ``zero_grad(); loss.backward(); step()``.
        restart_at: before step ``restart_at``, save ``state_dict()``, build a NEW optimizer on
            fresh copies of the parameters with ``restart_defaults`` and no per-group
            hyper-parameters, and ``load_state_dict()`` the saved state into it (a checkpoint).

    Returns:
        ``{"params": [tensor (steps + 1, *shape) per parameter],
        "returned": [what each step() returned, as data or a type name],
        "losses": [loss before each step, without a closure], "grad_changed": [steps where
        step() changed a p.grad], "not_leaf": [steps after which a parameter was no leaf
        requiring grad],
        "state": :func:`state_report` after the last step}``.
    """
    params = [nn.Parameter(x.detach().clone().float()) for x in problem["init"]]
    optimizer = factory(_groups(groups, params), **defaults)
    history = [[p.detach().clone()] for p in params]
    out: dict = {"returned": [], "losses": [], "grad_changed": [], "not_leaf": []}
    for t in range(steps):
        if t == restart_at:
            params, optimizer = _restart(factory, optimizer, params, groups, restart_defaults)
        for group, lr in zip(optimizer.param_groups, (lr_schedule or {}).get(t, ()), strict=False):
            group["lr"] = lr
        skip = tuple((no_grad_at or {}).get(t, ()))

        def loss_fn(skip=skip, params=params, optimizer=optimizer):
            optimizer.zero_grad()
            loss = problem_loss(params, problem, skip)
            loss.backward()
            return loss

        if closure:
            returned = optimizer.step(loss_fn)
        else:
            loss = loss_fn()
            out["losses"].append(loss.item())
            grads = [None if p.grad is None else p.grad.clone() for p in params]
            returned = optimizer.step()
            if any(_changed(p.grad, g) for p, g in zip(params, grads, strict=True)):
                out["grad_changed"].append(t)
        out["returned"].append(_as_data(returned))
        if not all(p.is_leaf and p.requires_grad for p in params):
            out["not_leaf"].append(t)
        for h, p in zip(history, params, strict=True):
            h.append(p.detach().clone())
    out["params"] = [torch.stack(h) for h in history]
    out["state"] = state_report(optimizer, params)
    return out


def _groups(groups: list[dict], params: list[torch.Tensor]) -> list[dict]:
    return [dict(g, params=[params[i] for i in g["params"]]) for g in groups]


def _restart(factory, optimizer, params, groups, restart_defaults):
    saved = optimizer.state_dict()
    fresh = [nn.Parameter(p.detach().clone()) for p in params]
    bare = [{"params": [fresh[i] for i in g["params"]]} for g in groups]
    new = factory(bare, **(restart_defaults or {}))
    new.load_state_dict(saved)
    return fresh, new


def _changed(now: torch.Tensor | None, before: torch.Tensor | None) -> bool:
    if now is None or before is None:
        return (now is None) != (before is None)
    return not torch.equal(now, before)


def _as_data(value: Any) -> Any:
    if value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.detach().reshape(()).clone()
    return f"<{type(value).__name__}>"


def state_report(optimizer: Any, params: Sequence[torch.Tensor]) -> dict:
    """What ``optimizer.state`` holds for each parameter, as data.

    Returns:
        ``{"per_param": [None if the parameter has no state, else {key: a detached copy of a
        tensor, a number, or a type name}], "shared": [(i, j, key) where parameters i < j hold
        the same tensor storage], "in_graph": [(i, key) of tensors that require grad],
        "other_keys": [descriptions of state keys that are not parameters],
        "group_keys": [sorted keys of each param group, "params" left out]}``.
    """
    state = getattr(optimizer, "state", {})
    per_param, in_graph, storages = [], [], {}
    shared = []
    for i, p in enumerate(params):
        entry = state.get(p) if hasattr(state, "get") else None
        if not isinstance(entry, dict):
            per_param.append(None if entry is None else f"<{type(entry).__name__}>")
            continue
        data = {}
        for key, value in entry.items():
            data[str(key)] = _as_state_value(value)
            if isinstance(value, torch.Tensor):
                if value.requires_grad:
                    in_graph.append([i, str(key)])
                if value.numel() > 0:
                    ptr = value.untyped_storage().data_ptr()
                    if ptr in storages and storages[ptr][0] != i:
                        shared.append([storages[ptr][0], i, str(key)])
                    storages.setdefault(ptr, (i, str(key)))
        per_param.append(data)
    ids = {id(p) for p in params}
    other = [f"<{type(k).__name__}>" for k in getattr(state, "keys", list)() if id(k) not in ids]
    group_keys = [
        sorted(str(k) for k in g if k != "params") for g in getattr(optimizer, "param_groups", [])
    ]
    return {
        "per_param": per_param,
        "shared": shared,
        "in_graph": in_graph,
        "other_keys": other,
        "group_keys": group_keys,
    }


def _as_state_value(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return f"<{type(value).__name__}>"


def construct(factory: Callable[..., Any], kwargs: dict) -> str | None:
    """Build ``factory([a parameter], **kwargs)``: None, or the type name of what it raised."""
    try:
        factory([nn.Parameter(torch.zeros(3))], **kwargs)
    except Exception as exc:
        return type(exc).__name__
    return None


# ------------------------------------------------------------------ trusted side: comparisons

PROBES = "torchgrade.probes.sem2_optimizers"


def torch_optimizer(name: str, **fixed: Any) -> Callable[..., Any]:
    """``torch.optim.<name>`` with ``fixed`` keyword arguments, single-tensor code path."""
    cls = getattr(torch.optim, name)

    def build(groups, **kwargs):
        return cls(groups, **fixed, **kwargs, foreach=False)

    return build


def run_student(
    student,
    name: str,
    problem: dict,
    groups: list[dict],
    defaults: dict,
    steps: int,
    **options: Any,
) -> dict:
    """:func:`trajectory` in the worker with the submission's class ``name``."""
    cls = getattr(student.sem2_optimizers, name)
    return student.import_module(PROBES).trajectory(
        cls, problem, groups, defaults, steps, **options
    )


def describe(name: str, groups: list[dict], defaults: dict) -> str:
    """``Adam([{2 params, lr=0.01}, {1 param}], lr=0.001, ...)`` for messages."""

    def hyper(d: dict) -> str:
        return ", ".join(f"{k}={_fmt(v)}" for k, v in d.items() if k != "params")

    parts = []
    for g in groups:
        n = len(g["params"])
        own = hyper(g)
        parts.append("{" + f"{n} parameter{'s' * (n != 1)}" + (f", {own}" if own else "") + "}")
    return f"{name}([{', '.join(parts)}], {hyper(defaults)})"


def _fmt(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def assert_same_path(
    got: Any,
    want: dict,
    what: str,
    *,
    rtol: float = 1e-4,
    atol: float = 1e-5,
    against: str = "torch.optim",
) -> None:
    """Assert that every parameter follows ``want``'s path, and say where it first leaves it."""
    from torchgrade import expect

    if not isinstance(got, dict) or not isinstance(got.get("params"), list):
        raise AssertionError(f"{what}: the training loop did not return its record")
    for i, (mine, theirs) in enumerate(zip(got["params"], want["params"], strict=True)):
        shape = expect.shape_text(theirs.shape[1:])
        expect.tensor(mine, what=f"{what}: parameter {i}'s path", shape=tuple(theirs.shape))
        for t in range(1, theirs.shape[0]):
            a, e = mine[t].double(), theirs[t].double()
            if not torch.allclose(a, e, rtol=rtol, atol=atol) or not torch.isfinite(a).all():
                gap = (a - e).abs().nan_to_num(nan=float("inf")).max().item()
                raise AssertionError(
                    f"{what}: after step {t} of {theirs.shape[0] - 1}, parameter {i} (shape "
                    f"{shape}) differs from {against} by up to {gap:.3g} (tolerance {atol:g} + "
                    f"{rtol:g}·|expected|); the steps before agree"
                    if t > 1
                    else f"{what}: already the first step of parameter {i} (shape {shape}) differs "
                    f"from {against} by up to {gap:.3g}"
                )


# Parameters of every problem: two of the same shape (in one group, so a state shared between
# parameters shows), a vector and a 3-d tensor.
SHAPES = ((4, 3), (4, 3), (5,), (2, 2, 2))


def check_paths(
    student,
    name: str,
    reference: Callable[..., Any],
    groups: list[dict],
    defaults: dict,
    *,
    seed: int,
    steps: int,
    scale: float = 1.0,
    far: bool = False,
    against: str = "",
    context: str = "",
    rtol: float = 1e-4,
    atol: float = 1e-5,
    **options: Any,
) -> tuple[dict, dict]:
    """Train one random problem with the submission's ``name`` and with ``reference``; assert
    the two paths agree step by step. Returns both records (the submission's first).

    ``seed`` is the test's data seed: the problem is drawn from it here, in the trusted
    process, and only the problem's tensors cross to the worker, never the seed."""
    problem = draw_problem(seed, SHAPES, scale, far)
    got = run_student(student, name, problem, groups, defaults, steps, **options)
    want = trajectory(reference, problem, groups, defaults, steps, **options)
    what = f"{describe(name, groups, defaults)}{context}, {steps} steps on a random problem"
    assert_same_path(got, want, what, rtol=rtol, atol=atol, against=against or name)
    return got, want


def check_state(got: dict, keys: Sequence[str], what: str) -> list[dict | None]:
    """Assert each parameter's state holds its own float32 ``keys`` shaped like it (every
    parameter of the run must have taken a step).

    Returns:
        The per-parameter state entries.
    """
    from torchgrade import expect

    report = got["state"]
    assert not report["other_keys"], (
        f"{what}: optimizer.state should be keyed by the parameters themselves, found other "
        f"keys ({', '.join(report['other_keys'][:3])})"
    )
    for i, entry in enumerate(report["per_param"]):
        assert entry is not None, (
            f"{what}: optimizer.state has nothing for parameter {i}, which took steps: keep "
            "each parameter's buffers in self.state[p] (state_dict() saves only what is there)"
        )
        assert isinstance(entry, dict), f"{what}: optimizer.state[p] should be a dict"
        for key in keys:
            assert key in entry, (
                f"{what}: optimizer.state[p] should hold {key!r}, found "
                f"{sorted(entry) or 'nothing'}"
            )
            expect.tensor(
                entry[key],
                what=f"{what}: state[p][{key!r}] of parameter {i}",
                shape=SHAPES[i],
                dtype=torch.float32,
            )
    assert not report["shared"], (
        f"{what}: parameters {report['shared'][0][0]} and {report['shared'][0][1]} share the "
        f"tensor state[p][{report['shared'][0][2]!r}]: each parameter needs its own buffers"
    )
    assert not report["in_graph"], (
        f"{what}: state[p][{report['in_graph'][0][1]!r}] requires grad: update the state under "
        "torch.no_grad() (decorate step with @torch.no_grad()), or autograd keeps a growing "
        "graph of every step"
    )
    return report["per_param"]


def check_bookkeeping(got: dict, what: str) -> None:
    """Assert step() left every p.grad unchanged and the parameters leaves that require grad,
    and returned None (no closure)."""
    assert not got["not_leaf"], (
        f"{what}: after step {got['not_leaf'][0] + 1} a parameter is no longer a leaf tensor "
        "that requires grad: update it in place under torch.no_grad() (p.add_(...)), never "
        "p = p - ..., nor through autograd"
    )
    assert all(value is None for value in got["returned"]), (
        f"{what}: step() without a closure should return None"
    )
    assert not got["grad_changed"], (
        f"{what}: step {got['grad_changed'][0] + 1} changed p.grad: compute "
        "g = p.grad + weight_decay * p as a new tensor instead of adding into p.grad"
    )


def check_raises(student, name: str, cases: Sequence[dict]) -> None:
    """Assert ``name(params, **kwargs)`` raises ValueError for every ``kwargs`` in ``cases``."""
    probes = student.import_module(PROBES)
    cls = getattr(student.sem2_optimizers, name)
    for kwargs in cases:
        call = f"{name}(params, {', '.join(f'{k}={_fmt(v)}' for k, v in kwargs.items())})"
        error = probes.construct(cls, kwargs)
        assert error == "ValueError", f"{call} should raise ValueError, " + (
            "but raised nothing" if error is None else f"but raised {error}"
        )


def check_closure_losses(got: dict, want: dict, name: str) -> None:
    """Assert ``step(closure)`` returned the closure's loss at every step."""
    from torchgrade import expect

    for t, (mine, theirs) in enumerate(zip(got["returned"], want["returned"], strict=True)):
        what = f"{name}.step(closure) at step {t + 1}"
        assert mine is not None, f"{what} returned None: return the loss the closure returned"
        expect.close(
            torch.tensor(expect.number(mine, what=what)),
            theirs.float(),
            what=what,
            rtol=1e-5,
            atol=1e-6,
        )
