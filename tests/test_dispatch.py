"""The run-time check of forbidden APIs, tampering notes, and integrity flags read from source.

The recorder (torchgrade.worker.dispatch) is exercised here in-process, on a module built from
source with a student file name, exactly as the loader builds one.
"""

import json
import sys
import types

import pytest
import torch

import torchgrade.probes
import torchgrade.probes.hw1_basics as probes_hw1
from torchgrade.course import load_course
from torchgrade.dispatch_log import DispatchLog
from torchgrade.integrity import scan
from torchgrade.results import TestResult
from torchgrade.specs import CellSpec
from torchgrade.worker import dispatch
from torchgrade.worker.server import Server

STUDENT = "student_dispatch.py"
SOURCE = """
import torch
from torch import nn
import torch.nn.functional as F

_OPS = {"act": torch.sigmoid}

def sigmoid(z):
    return _OPS["act"](z)

@torch.no_grad()
def decorated_sigmoid(z):
    return z.sigmoid()

def honest_sigmoid(z):
    return 1 / (1 + torch.exp(-z))

def bce_loss(p, y, loss):
    return loss(p, y)                       # a trusted callback: not the student's op

class _Inner(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(3, 1)

    def forward(self, x):
        return self.layer(x)                # F.linear, one helper object away

class LogisticRegression(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = _Inner()

    def forward(self, x):
        return self.inner(x)
"""
RULES = {
    "hwdispatch": {
        "sigmoid": ["*.sigmoid"],
        "honest_sigmoid": ["*.sigmoid"],
        "decorated_sigmoid": ["*.sigmoid"],
        "bce_loss": ["*binary_cross_entropy*"],
        "LogisticRegression": ["torch.nn.functional.linear"],
    }
}


@pytest.fixture
def module():
    module = types.ModuleType("hwdispatch")
    exec(compile(SOURCE, STUDENT, "exec"), module.__dict__)
    sys.modules["hwdispatch"] = module
    yield module
    del sys.modules["hwdispatch"]


@pytest.fixture
def recorder(module):
    recorder = dispatch.Recorder({STUDENT})
    recorder.watch(RULES)
    return recorder


def test_a_forbidden_op_reached_through_data_is_the_exercises(module, recorder):
    z = torch.randn(5)
    with recorder.watching("call"):
        module.sigmoid(z)
        module.honest_sigmoid(z)
    found = recorder.report()["forbidden"]
    assert [(f["exercise"], f["op"]) for f in found] == [("sigmoid", "torch.sigmoid")]
    assert found[0]["where"] == f"{STUDENT}, line 9"


def test_a_decorated_exercise_is_still_the_exercise(module, recorder):
    with recorder.watching("call"):
        module.decorated_sigmoid(torch.randn(3))
    found = recorder.report()["forbidden"]
    assert [(f["exercise"], f["op"]) for f in found] == [
        ("decorated_sigmoid", "torch.Tensor.sigmoid")
    ]


def test_an_op_one_helper_object_away_is_the_exercises(module, recorder):
    model = module.LogisticRegression()
    with recorder.watching("call"):
        torchgrade.probes.call_in_mode(model, torch.randn(4, 3), False)  # a probe drives it
    (found,) = recorder.report()["forbidden"]
    assert (found["exercise"], found["op"]) == ("LogisticRegression", "torch.nn.functional.linear")


def test_ops_of_the_grader_itself_are_never_the_students(module, recorder):
    p, y = torch.rand(6), torch.rand(6)
    with recorder.watching("call"):
        module.bce_loss(p, y, probes_hw1.bce_with_logits)  # the probe's library loss
        torch.sigmoid(p)  # the test's own call, no student frame at all
        torchgrade.probes.call_in_mode(torch.nn.Sigmoid(), p, False)
    assert recorder.report()["forbidden"] == []


def test_an_op_torch_makes_for_an_allowed_call_is_not_the_students(module):
    recorder = dispatch.Recorder({STUDENT})
    recorder.watch({"hwdispatch": {"LogisticRegression": ["torch.nn.init.*"]}})
    with recorder.watching("call"):
        module.LogisticRegression()  # nn.Linear(3, 1) initialises its weights with nn.init
    assert recorder.report()["forbidden"] == []


def test_the_recorder_costs_nothing_where_nothing_is_watched(module):
    recorder = dispatch.Recorder({STUDENT})
    recorder.watch({})
    with recorder.watching("call"):
        assert torch._C._len_torch_function_stack() == 0  # no mode installed at all
        module.sigmoid(torch.randn(3))
    assert recorder.report()["forbidden"] == []


def test_removing_the_mode_is_reported_and_undone(module, recorder):
    with recorder.watching("call"):
        torch._C._pop_torch_function_stack()  # what a submission could do mid-request
        module.sigmoid(torch.randn(3))
    assert torch._C._len_torch_function_stack() == 0
    assert any("removed or replaced while serving call" in n for n in recorder.notes)


def test_a_replaced_probe_or_torch_overrides_is_reported(monkeypatch):
    dispatch.seal()
    assert not [n for n in dispatch.tampering() if "torchgrade.probes" in n]
    monkeypatch.setattr(torchgrade.probes, "layers", lambda module: [])
    monkeypatch.setattr(torch.overrides, "resolve_name", lambda f: "x")
    notes = dispatch.tampering()
    assert "torchgrade.probes.layers was replaced or removed" in notes
    assert "torch.overrides.resolve_name was replaced or removed" in notes


def test_a_grader_module_imported_in_a_worker_is_reported(monkeypatch):
    dispatch.seal()
    monkeypatch.delitem(sys.modules, "torchgrade.grading", raising=False)  # as in a real worker
    monkeypatch.setitem(sys.modules, "torchgrade.testdata_copy", types.ModuleType("x"))
    monkeypatch.setitem(sys.modules, "torchgrade.probes.extra", types.ModuleType("y"))
    notes = dispatch.tampering()
    assert "the grader's module torchgrade.testdata_copy was imported in the worker" in notes
    assert not [n for n in notes if "torchgrade.probes.extra" in n]  # tests import probes later


def test_the_server_serves_the_record_as_json(module):
    server = Server(None, {STUDENT})
    assert server.handle({"op": "watch", "forbid": RULES}, []) == ({"ok": True, "value": None}, [])
    answer, _ = server.handle({"op": "module", "name": "hwdispatch"}, [])
    target = answer["value"]["id"]
    answer, _ = server.handle({"op": "getattr", "target": target, "name": "sigmoid"}, [])
    tensor = {"t": "tensor", "dtype": "float32", "shape": [2], "buf": 0, "grad": False}
    call = {"op": "call", "target": answer["value"]["id"], "args": [tensor]}
    answer, _ = server.handle({**call, "kwargs": {"t": "dict", "v": []}}, [bytes(8)])
    assert answer["ok"], answer
    server.probe_cache = {}  # an attribute of its own: the server object was tampered with
    answer, _ = server.handle({"op": "dispatch"}, [])
    record = json.loads(answer["value"])
    assert [f["exercise"] for f in record["forbidden"]] == ["sigmoid"]
    assert any("given attributes ['probe_cache']" in note for note in record["tampering"])


# ----------------------------------------------------------------------------- trusted side


class _Worker:
    """A worker that answers the dispatch request with a given record."""

    def __init__(self, answer):
        self.answer = answer

    def start_clock(self, seconds):
        pass

    def request(self, header, buffers=()):
        return self.answer, []


def _answer(forbidden=(), tampering=()):
    record = {"forbidden": list(forbidden), "tampering": list(tampering)}
    return {"ok": True, "value": json.dumps(record)}


def _result(nodeid, section):
    return TestResult(nodeid, nodeid, section, 1.0, 1.0, "passed")


def test_a_forbidden_op_costs_every_test_that_touched_the_exercise():
    log = DispatchLog(load_course().homework("hw1_basics"))
    assert log.rules_for("1.6") == {}  # nothing forbidden there: no recorder overhead
    assert set(log.rules_for("1.4")["hw1_basics"]) == {"sigmoid", "bce_loss"}
    seen = {"module": "hw1_basics", "exercise": "sigmoid", "op": "torch.sigmoid", "where": "x"}
    log.read("a", _Worker(_answer([seen])), {"sigmoid"})
    log.read("b", _Worker(_answer()), {"predict_proba", "sigmoid"})
    log.read("c", _Worker(_answer()), {"bce_loss"})
    results = {n: _result(n, "1.4") for n in "abc"}
    lost = log.apply(results)
    assert set(lost) == {"sigmoid"} and "rule `*.sigmoid`" in lost["sigmoid"]
    assert [results[n].score for n in "abc"] == [0.0, 0.0, 1.0]
    assert results["b"].message.startswith("sigmoid called `torch.sigmoid`")
    assert log.flags == []


@pytest.mark.parametrize(
    "item",
    [
        {"module": "hw1_basics", "exercise": "sigmoid", "op": "torch.exp", "where": ""},
        {"module": "hw1_basics", "exercise": "accuracy", "op": "torch.sigmoid", "where": ""},
        {"module": "hw2_segmentation", "exercise": "sigmoid", "op": "torch.sigmoid"},
        {"module": "hw1_basics", "exercise": ["sigmoid"], "op": "torch.sigmoid"},
    ],
)
def test_a_worker_cannot_pin_an_op_on_an_exercise_that_allows_it(item):
    log = DispatchLog(load_course().homework("hw1_basics"))
    log.read("a", _Worker(_answer([item])), {"sigmoid", "accuracy"})
    results = {"a": _result("a", "1.4")}
    assert log.apply(results) == {} and results["a"].score == 1.0


@pytest.mark.parametrize(
    "answer",
    [
        {"ok": False, "error": {"type": "KeyError", "message": "op_dispatch"}},
        {"ok": True, "value": "not json"},
        {"ok": True, "value": json.dumps([1, 2])},
        {"ok": True, "value": "x" * 100_000},
        {"ok": True, "value": json.dumps({"forbidden": "none"})},
    ],
)
def test_a_malformed_record_is_flagged_not_scored(answer):
    log = DispatchLog(load_course().homework("hw1_basics"))
    log.read("a", _Worker(answer), {"sigmoid"})
    results = {"a": _result("a", "1.4")}
    assert log.apply(results) == {} and results["a"].score == 1.0
    assert len(log.flags) == 1 and log.flags[0].kind == "dispatch recorder"


def test_tampering_notes_become_flags():
    log = DispatchLog(load_course().homework("hw1_basics"))
    note = "torchgrade.probes.layers was replaced or removed"
    log.read("a", _Worker(_answer(tampering=[note, 3])), set())
    assert [f.evidence for f in log.flags] == [f"the worker reports: {note}"]


# ----------------------------------------------------------------------------- static flags


def _flags(source: str) -> dict[str, str]:
    cells = [CellSpec("imports", source, "hw1_basics.py")]
    return {flag.kind: flag.evidence for flag in scan(cells)}


@pytest.mark.parametrize(
    ("source", "kind", "quoted"),
    [
        ("import ctypes\nctypes.string_at(0)", "ctypes", "`ctypes.string_at`"),
        ("open('/proc/self/maps').read()", "/proc", "'/proc/self/maps'"),
        ("import os\nos.listdir('/tmp')", "other submissions' paths", "'/tmp'"),
        (
            "import torchgrade.probes as p\np.layers = None",
            "grader internals",
            "`torchgrade.probes`",
        ),
        ("import __main__", "grader internals", "`__main__`"),
        (
            "import sys\nm = sys.modules['torchgrade.worker.server']",
            "grader internals",
            "sys.modules",
        ),
        ("import gc\nobjs = gc.get_objects()", "grader internals", "`gc.get_objects`"),
        ("import sys\nf = sys._getframe(1).f_back", "grader internals", "sys._getframe"),
        ("import torch\ns = torch.initial_seed()", "seed machinery", "`torch.initial_seed`"),
        ("from torchgrade import testdata", "seed machinery", "`torchgrade.testdata`"),
        (
            "import torch\ntorch._C._pop_torch_function_stack()",
            "dispatch recorder",
            "`torch._C._pop_torch_function_stack`",
        ),
        ("from torch.overrides import TorchFunctionMode", "dispatch recorder", "torch.overrides"),
        (
            "import torch\nclass T(torch.Tensor):\n    def __torch_function__(c, f, t, a, k): 0",
            "dispatch recorder",
            "def __torch_function__",
        ),
    ],
)
def test_contact_with_grader_internals_is_flagged_with_its_place(source, kind, quoted):
    flags = _flags(source)
    assert kind in flags and quoted in flags[kind], flags
    assert "(hw1_basics.py, line " in flags[kind]


def test_honest_idioms_are_not_flagged():
    source = '''
"""Saved to /tmp by the grader. in docs."""
import torch
import random
torch.manual_seed(0)
random.seed(0)
grader = "me"
print(grader)
if __name__ == "__main__":
    pass
'''
    assert _flags(source) == {}


def test_the_reference_solutions_raise_no_flag():
    from torchgrade.submission import load_submission

    course = load_course()
    for homework in course.homeworks:
        submission = load_submission(course.root / "solutions" / f"{homework.id}.py", course)
        assert scan(submission.modules[homework.id].cells) == [], homework.id


# ----------------------------------------------------------------------------- end to end

TAMPERING = """
# EXERCISE 1.4 — sigmoid
import torchgrade.probes as _probes

_clone = _probes.clone
_probes.clone = lambda obj: _clone(obj)  # same behaviour, another object


def sigmoid(z):
    if torch._C._len_torch_function_stack():
        torch._C._pop_torch_function_stack()  # blind the recorder for this call
    m = z.clamp(min=0).detach()
    top = torch.exp(z - m)
    return top / (torch.exp(-m) + top)
"""


@pytest.mark.slow
def test_tampering_is_flagged_for_the_instructor_and_never_shown_or_scored(tmp_path, course):
    from helpers import replace_chunks, solution_text

    from torchgrade.grading import grade
    from torchgrade.report import FORMATS, render

    path = tmp_path / "hw1_basics.py"
    path.write_text(replace_chunks(solution_text("hw1_basics"), TAMPERING), encoding="utf-8")
    report = grade(path, course=course, seed=1, homeworks=["hw1_basics"], sections=["1.4"])
    assert report.full_marks, [s.reason for s in report.homeworks[0].sections]  # not scored
    flags = report.flags
    assert any(
        "dispatch recorder (static)" in f and "_pop_torch_function_stack" in f for f in flags
    )
    assert any("grader internals (static)" in f and "torchgrade.probes" in f for f in flags)
    runtime = [f for f in flags if "(runtime)" in f]
    assert any("torchgrade.probes.clone was replaced or removed" in f for f in runtime), flags
    assert any("removed or replaced while serving call" in f for f in runtime), flags
    for fmt in FORMATS:
        assert "torchgrade.probes.clone" not in render(report, fmt), fmt
    assert "torchgrade.probes.clone" in json.dumps(report.to_dict(details=True))
