"""The control protocol: the ops and events that start, feed and stop the sandbox's processes.

Both sides of the trust line use this module, and it is the only place where a control
message is spelled out. The grader (:mod:`torchgrade.sandbox.lifecycle`, trusted) builds
requests with the ``*_request`` functions and reads what comes back with the ``read_*``
functions; the zygote and templates (:mod:`torchgrade.worker.processes`, which the submission
may tamper with) read requests with :func:`read_request` and answer with the event and
answer constructors. Every reader checks the message's shape and types and raises
:class:`ControlError` for anything else, never a ``KeyError``: a template runs student code,
so what it sends is evidence, not truth.

The conversation, one JSON message per line (file descriptors travel beside some)::

    zygote   -> grader    ready {network, namespaces, python, torch}  once, after warm-up
    grader   -> zygote    template {uid, limits}  + 2 or 3 fds     -> {pid}
                          reap {pid}                               -> {status}
                          state {pid}                              -> {state}
    template -> grader    ready {uid}                              once, after the fork
    grader   -> template  load {modules}   -> cell {module, key}... then loaded {modules}
                          spawn                                    -> {pid} + 2 fds
                          discard {pid}                            (no answer)
                          kill {pid, grace}                        -> {status}

What a worker serves during a test (calls, attributes, values) is the data protocol,
:mod:`torchgrade.protocol`.
"""

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from enum import Enum
from typing import Any

from torchgrade.course import Limits
from torchgrade.framing import ProtocolError, is_int
from torchgrade.specs import CellSpec, LoadResult, ModuleSpec

ERROR_FIELDS = frozenset({"type", "message", "traceback"})  # a cell's error in a load report
MAX_ERROR_TEXT = 20_000  # characters kept of each


class ControlError(ProtocolError):
    """A control message that is not what the protocol says: its sender broke the protocol."""


class Op(str, Enum):
    """What the grader asks of a zygote (``TEMPLATE``, ``REAP``, ``STATE``) or a template."""

    TEMPLATE = "template"  # fork a template for one submission
    REAP = "reap"  # remove a template and everything of its uid
    STATE = "state"  # a template's process state (is it stopped?)
    LOAD = "load"  # execute the submission's cells
    SPAWN = "spawn"  # hand out a forked worker
    DISCARD = "discard"  # end a worker whose test is over
    KILL = "kill"  # end a worker and say how it ended


ZYGOTE_OPS = frozenset({Op.TEMPLATE, Op.REAP, Op.STATE})
TEMPLATE_OPS = frozenset({Op.LOAD, Op.SPAWN, Op.DISCARD, Op.KILL})


class Event(str, Enum):
    """What a zygote or template says without being asked a question with an answer."""

    READY = "ready"  # started (zygote: torch imported; template: forked and limited)
    CELL = "cell"  # about to execute this cell (a hang or crash is blamed on it)
    LOADED = "loaded"  # every cell executed: errors and missing names per module


@dataclass(frozen=True)
class Request:
    """A control request as its receiver sees it; only the fields of its ``op`` are set."""

    op: Op
    pid: int = 0  # REAP, STATE, DISCARD, KILL
    grace: float = 0.0  # KILL: seconds to let a vanished worker finish exiting
    uid: int | None = None  # TEMPLATE: the uid to run as (None: the zygote's own)
    limits: Limits | None = None  # TEMPLATE
    modules: tuple[ModuleSpec, ...] = ()  # LOAD


@dataclass(frozen=True)
class ZygoteInfo:
    """What a zygote says once it is ready."""

    network: str
    namespaces: str  # whether templates get namespaces of their own, in words
    python: str
    torch: str


# ----------------------------------------------------------------------------- requests


def template_request(uid: int | None, limits: Limits) -> dict:
    return {"op": Op.TEMPLATE.value, "uid": uid, "limits": limits_to_wire(limits)}


def pid_request(op: Op, pid: int) -> dict:
    """``reap``, ``state`` or ``discard`` of one process."""
    if op not in (Op.REAP, Op.STATE, Op.DISCARD):
        raise ValueError(f"{op.value} does not take just a pid")
    return {"op": op.value, "pid": pid}


def kill_request(pid: int, grace: float) -> dict:
    return {"op": Op.KILL.value, "pid": pid, "grace": grace}


def spawn_request() -> dict:
    return {"op": Op.SPAWN.value}


def load_request(modules: list[ModuleSpec]) -> dict:
    payload = [
        {"name": m.name, "expect": list(m.expect), "cells": [asdict(c) for c in m.cells]}
        for m in modules
    ]
    return {"op": Op.LOAD.value, "modules": payload}


def read_request(message: dict, ops: frozenset[Op]) -> Request:
    """A request one of ``ops`` checked field by field (receiver: zygote or template)."""
    try:
        op = Op(message.get("op"))
    except ValueError:
        raise ControlError(f"unknown op {message.get('op')!r}") from None
    if op not in ops:
        raise ControlError(f"op {op.value!r} is not served here")
    if op is Op.TEMPLATE:
        uid = message.get("uid")
        if uid is not None and not is_int(uid):
            raise ControlError("template: uid is not an integer")
        return Request(op, uid=uid, limits=limits_from_wire(message.get("limits")))
    if op is Op.LOAD:
        return Request(op, modules=_modules(message.get("modules")))
    if op is Op.SPAWN:
        return Request(op)
    pid = _get(message, "pid", int)
    grace = float(_get(message, "grace", float)) if op is Op.KILL else 0.0
    return Request(op, pid=pid, grace=grace)


# ----------------------------------------------------------------------------- events, answers


def zygote_ready(network: str, namespaces: str, python: str, torch: str) -> dict:
    return {
        "event": Event.READY.value,
        "network": network,
        "namespaces": namespaces,
        "python": python,
        "torch": torch,
    }


def template_ready(uid: int) -> dict:
    return {"event": Event.READY.value, "uid": uid}


def cell_event(module: str, key: str) -> dict:
    return {"event": Event.CELL.value, "module": module, "key": key}


def loaded_event(errors: dict[str, dict[str, dict]], missing: dict[str, list[str]]) -> dict:
    modules = {name: {"errors": errors[name], "missing": missing.get(name, [])} for name in errors}
    return {"event": Event.LOADED.value, "modules": modules}


def pid_answer(pid: int) -> dict:
    return {"pid": pid}


def status_answer(status: str) -> dict:
    return {"status": status}


def state_answer(state: str) -> dict:
    return {"state": state}


def read_zygote_ready(message: dict) -> ZygoteInfo:
    _expect_event(message, Event.READY)
    return ZygoteInfo(*(_get(message, f.name, str) for f in fields(ZygoteInfo)))


def read_template_ready(message: dict) -> int:
    """The uid the template runs as."""
    _expect_event(message, Event.READY)
    return _get(message, "uid", int)


def read_pid(message: dict) -> int:
    return _get(message, "pid", int)


def read_status(message: dict) -> str:
    return _get(message, "status", str)


def read_state(message: dict) -> str:
    return _get(message, "state", str)


def read_load_event(
    message: dict, modules: Sequence[ModuleSpec] | None = None
) -> tuple[str, str] | LoadResult:
    """A ``cell`` event as ``(module, key)``, or the ``loaded`` report (without output).

    With ``modules`` (what the grader sent), the event may name only those modules, their
    cells and their expected names: a template cannot blame a cell it was never given (each
    blame costs a restart) nor report on modules that do not exist. Error texts are cut to
    :data:`MAX_ERROR_TEXT` characters.
    """
    cells = {(m.name, c.key) for m in modules or () for c in m.cells}
    if message.get("event") == Event.CELL.value:
        event = _get(message, "module", str), _get(message, "key", str)
        if modules is not None and event not in cells:
            raise ControlError(f"cell: {event[0]!r} has no cell {event[1][:80]!r}")
        return event
    _expect_event(message, Event.LOADED)
    reported = _get(message, "modules", dict)
    expected = {m.name: set(m.expect) for m in modules} if modules is not None else None
    errors, missing = {}, {}
    for name, info in reported.items():
        if not isinstance(info, dict):
            raise ControlError(f"loaded: module {name[:80]!r} is not an object")
        if expected is not None and name not in expected:
            raise ControlError(f"loaded: module {name[:80]!r} was not loaded")
        errors[name] = _errors(info.get("errors", {}))
        missing[name] = _strings(info.get("missing", []), "missing")
        if expected is not None:
            if not {(name, key) for key in errors[name]} <= cells:
                raise ControlError(f"loaded: errors of {name!r} name cells it does not have")
            if not set(missing[name]) <= expected[name]:
                raise ControlError(f"loaded: {name!r} misses names it was not asked for")
    return LoadResult(errors, missing)


# ----------------------------------------------------------------------------- limits


def limits_to_wire(limits: Limits) -> dict:
    return asdict(limits)


def limits_from_wire(raw: Any) -> Limits:
    """The course's :class:`~torchgrade.course.Limits`, checked: every field, positive numbers."""
    names = {f.name for f in fields(Limits)}
    if not isinstance(raw, dict) or set(raw) != names:
        raise ControlError(f"limits must have exactly the fields {sorted(names)}")
    for f in fields(Limits):
        value = raw[f.name]
        whole = isinstance(f.default, int)  # int fields take ints; float fields take both
        number = is_int(value) or (not whole and isinstance(value, float))
        if not number or not math.isfinite(value) or value <= 0:
            kind = "a positive integer" if whole else "a positive number"
            raise ControlError(f"limits: {f.name} must be {kind}, not {value!r}")
    return Limits(**raw)


# ----------------------------------------------------------------------------- checks


def _get(message: dict, name: str, kind: type) -> Any:
    value = message.get(name)
    if kind is int:
        ok = is_int(value)
    elif kind is float:
        ok = is_int(value) or isinstance(value, float)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise ControlError(f"{name}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _expect_event(message: dict, event: Event) -> None:
    if message.get("event") != event.value:
        raise ControlError(f"expected the {event.value!r} event, got {message.get('event')!r}")


def _strings(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ControlError(f"{what}: expected a list of strings")
    return value


def _errors(value: Any) -> dict[str, dict]:
    """cell key -> {type, message, traceback}: strings (cut to MAX_ERROR_TEXT), no other keys."""
    if not isinstance(value, dict):
        raise ControlError("errors: expected an object")
    checked = {}
    for key, error in value.items():
        if (
            not isinstance(error, dict)
            or not set(error) <= ERROR_FIELDS
            or not all(isinstance(v, str) for v in error.values())
        ):
            raise ControlError(
                f"errors: the error of {key[:80]!r} is not an object of {sorted(ERROR_FIELDS)}"
            )
        checked[key] = {k: v[:MAX_ERROR_TEXT] for k, v in error.items()}
    return checked


def _modules(value: Any) -> tuple[ModuleSpec, ...]:
    if not isinstance(value, list):
        raise ControlError("load: modules is not a list")
    modules = []
    for raw in value:
        if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
            raise ControlError("load: a module is not an object with cells")
        cells = [_cell(c) for c in raw["cells"]]
        name = _get(raw, "name", str)
        modules.append(ModuleSpec(name, cells, _strings(raw.get("expect"), "expect")))
    return tuple(modules)


def _cell(raw: Any) -> CellSpec:
    if not isinstance(raw, dict):
        raise ControlError("load: a cell is not an object")
    fields_ = [_get(raw, k, str) for k in ("key", "source", "filename")]
    return CellSpec(*fields_, line=_get(raw, "line", int))
