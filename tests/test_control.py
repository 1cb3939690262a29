"""The control protocol: every message built here reads back the same; anything else is refused."""

from dataclasses import asdict

import pytest

from torchgrade import control
from torchgrade.control import TEMPLATE_OPS, ZYGOTE_OPS, ControlError, Op
from torchgrade.course import Limits
from torchgrade.specs import CellSpec, LoadResult, ModuleSpec

LIMITS = Limits(test_timeout_s=20, import_timeout_s=5.5, cpu_s=20, memory_mib=3072)
MODULES = [ModuleSpec("sub", [CellSpec("double", "def double(x): ...", "sub.py", line=3)], ["a"])]


def test_requests_read_back_as_sent():
    template = control.read_request(control.template_request(None, LIMITS), ZYGOTE_OPS)
    assert (template.op, template.uid, template.limits) == (Op.TEMPLATE, None, LIMITS)
    assert (
        control.read_request(control.template_request(200_001, LIMITS), ZYGOTE_OPS).uid == 200_001
    )
    for op, ops in ((Op.REAP, ZYGOTE_OPS), (Op.STATE, ZYGOTE_OPS), (Op.DISCARD, TEMPLATE_OPS)):
        request = control.read_request(control.pid_request(op, 42), ops)
        assert (request.op, request.pid) == (op, 42)
    kill = control.read_request(control.kill_request(7, 1.0), TEMPLATE_OPS)
    assert (kill.op, kill.pid, kill.grace) == (Op.KILL, 7, 1.0)
    assert control.read_request(control.spawn_request(), TEMPLATE_OPS).op is Op.SPAWN
    load = control.read_request(control.load_request(MODULES), TEMPLATE_OPS)
    assert list(load.modules) == MODULES


def test_events_and_answers_read_back_as_sent():
    info = control.read_zygote_ready(control.zygote_ready("isolated", "own", "3.12.1", "2.13.0"))
    assert (info.network, info.namespaces, info.python, info.torch) == (
        "isolated",
        "own",
        "3.12.1",
        "2.13.0",
    )
    assert control.read_template_ready(control.template_ready(1000)) == 1000
    assert control.read_pid(control.pid_answer(12)) == 12
    assert control.read_status(control.status_answer("killed by SIGSEGV")) == "killed by SIGSEGV"
    assert control.read_state(control.state_answer("T")) == "T"
    assert control.read_load_event(control.cell_event("sub", "double")) == ("sub", "double")
    error = {"type": "NameError", "message": "x", "traceback": ""}
    loaded = control.read_load_event(control.loaded_event({"sub": {"a": error}}, {"sub": ["b"]}))
    assert loaded == LoadResult({"sub": {"a": error}}, {"sub": ["b"]})


def test_limits_cross_as_the_course_defines_them():
    assert control.limits_from_wire(control.limits_to_wire(Limits())) == Limits()
    assert control.limits_from_wire(asdict(LIMITS)) == LIMITS


@pytest.mark.parametrize(
    "change",
    [
        {"memory_mib": None},
        {"memory_mib": "4096"},
        {"memory_mib": 4096.0},  # an rlimit is a whole number
        {"cpu_s": True},
        {"cpu_s": 0},
        {"test_timeout_s": -1.0},
        {"test_timeout_s": float("inf")},
        {"unknown_limit": 1},
    ],
)
def test_malformed_limits_are_refused(change):
    raw = dict(asdict(Limits()), **change)
    raw = {k: v for k, v in raw.items() if v is not None}
    with pytest.raises(ControlError):
        control.limits_from_wire(raw)


@pytest.mark.parametrize(
    "message",
    [
        {"op": "exec", "code": "print(1)"},  # no such op
        {"op": "load", "modules": []},  # a template's op, sent to the zygote
        {"op": "reap"},
        {"op": "reap", "pid": "1"},
        {"op": "state", "pid": True},
        {"op": "template", "uid": "root", "limits": asdict(Limits())},
        {"op": "template", "uid": None},
    ],
)
def test_the_zygote_refuses_malformed_requests(message):
    with pytest.raises(ControlError):
        control.read_request(message, ZYGOTE_OPS)


@pytest.mark.parametrize(
    "message",
    [
        {"op": "kill", "pid": 3},  # no grace
        {"op": "load", "modules": [{"name": "m", "cells": [{"key": "a"}], "expect": []}]},
        {"op": "load", "modules": [{"name": "m", "cells": [], "expect": [1]}]},
        {"op": "load", "modules": {"m": []}},
    ],
)
def test_a_template_refuses_malformed_requests(message):
    with pytest.raises(ControlError):
        control.read_request(message, TEMPLATE_OPS)


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (control.read_pid, {"pid": "12"}),
        (control.read_pid, {}),
        (control.read_status, {"status": 0}),
        (control.read_zygote_ready, {"event": "ready", "network": "isolated"}),
        (control.read_template_ready, {"event": "loaded", "uid": 1}),
        (control.read_load_event, {"event": "cell", "module": "sub"}),
        (control.read_load_event, {"event": "loaded", "modules": {"sub": {"errors": []}}}),
        (control.read_load_event, {"event": "loaded", "modules": {"sub": {"missing": "abc"}}}),
        (control.read_load_event, {"event": "loaded", "modules": {"sub": {"errors": {"a": 1}}}}),
        (control.read_load_event, {"event": "forged"}),
    ],
)
def test_the_grader_refuses_malformed_answers(read, message):
    with pytest.raises(ControlError):
        read(message)


@pytest.mark.parametrize(
    "message",
    [
        {"event": "cell", "module": "sub", "key": "forged-1"},  # a cell it was never sent
        {"event": "cell", "module": "other", "key": "double"},
        {"event": "loaded", "modules": {"other": {"errors": {}, "missing": []}}},
        {"event": "loaded", "modules": {"sub": {"errors": {"forged": {"type": "X"}}}}},
        {"event": "loaded", "modules": {"sub": {"missing": ["not_expected"]}}},
        {"event": "loaded", "modules": {"sub": {"errors": {"double": {"type": "X", "rce": ""}}}}},
        {"event": "loaded", "modules": {"sub": {"errors": {"double": {"message": 5}}}}},
        {"event": "loaded", "modules": {"sub": []}},
    ],
)
def test_a_forged_load_report_is_refused(message):
    """The template runs student code: its report may name only what the grader sent it."""
    with pytest.raises(ControlError):
        control.read_load_event(message, modules=MODULES)


def test_a_load_report_costs_bounded_text():
    long = {"type": "E" * 10**6, "message": "m" * 10**6, "traceback": ""}
    event = control.loaded_event({"sub": {"double": long}}, {"sub": ["a"]})
    loaded = control.read_load_event(event, modules=MODULES)
    kept = loaded.errors["sub"]["double"]
    assert max(len(v) for v in kept.values()) == control.MAX_ERROR_TEXT
    assert loaded.missing == {"sub": ["a"]}
