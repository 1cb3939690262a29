"""A worker serves consecutive tests of one section, and each finds it as a fresh one would be.

The plugin keeps the worker of a test that passed for the next test of the same section
(forking and ending one costs about as much CPU as a typical test). These tests hold it to
what makes that safe: torch's global modes and the modules are back as loaded; a failure,
another section, or a test in which the grader changed the submission (a probe's trusted
function put in) gets a fresh worker; the worker's lifetime CPU ceiling is never the one that
stops a test; and each test keeps its own output.
"""

import os
import socket
import sys
import types
from types import SimpleNamespace

import pytest
from helpers import solution_text
from minicourse import make_course

from torchgrade.course import Limits
from torchgrade.grading import grade
from torchgrade.plugin import WORKER_PER_TEST_ENV
from torchgrade.protocol import DataOp, data_request
from torchgrade.remote import WriteWatch
from torchgrade.sandbox.lifecycle import OutputReader, Worker
from torchgrade.worker.server import Server, namespaces

# Section 1.4 of the mini course, rewritten to watch its workers. PIDS is shared by the tests
# of one run (they run in order, in the grader's process).
REUSE_SUITE = """
import os

import pytest
import torch

from torchgrade.remote import StudentError, type_mro

pytestmark = pytest.mark.section("1.4")
PIDS = {}


def _pid(student):
    return student.import_module("os").getpid()


@pytest.mark.points(0.25)
def test_a_leaves_torch_in_other_modes(student):
    PIDS["a"] = _pid(student)
    student.torch.set_default_dtype(student.torch.float64)
    student.torch.set_grad_enabled(False)
    student.import_module("builtins").print("output of a")


@pytest.mark.points(0.25)
def test_b_finds_torch_as_loaded(student):
    PIDS["b"] = _pid(student)
    assert str(student.torch.get_default_dtype()) == "torch.float32"
    assert student.torch.is_grad_enabled()
    student.import_module("builtins").print("output of b")


@pytest.mark.points(0.25)
def test_c_puts_trusted_functions_into_the_module(student):
    PIDS["c"] = _pid(student)
    student.import_module("torchgrade.probes.hw1_basics").use_library_sigmoid_and_bce(
        student.hw1_basics
    )
    student.hw1_basics.left_behind = 5


@pytest.mark.points(0.25)
def test_d_has_the_submission_s_own_functions(student):
    PIDS["d"] = _pid(student)
    hw = student.hw1_basics
    assert type_mro(hw.sigmoid)[0] == "builtins.function", "the probe's sigmoid is still in"
    with pytest.raises(StudentError, match="left_behind"):
        hw.left_behind


@pytest.mark.points(0.5)
def test_e_fails(student):
    PIDS["e"] = _pid(student)
    assert False, "a failure: the next test gets a fresh worker"


@pytest.mark.points(0.25)
def test_f_after_a_failure(student):
    PIDS["f"] = _pid(student)


@pytest.mark.points(0.25)
def test_g_checks(student):
    assert PIDS["a"] == PIDS["b"] == PIDS["c"], f"passing tests should share a worker: {PIDS}"
    assert PIDS["d"] != PIDS["c"], f"the grader changed the module: a fresh worker: {PIDS}"
    assert PIDS["d"] == PIDS["e"], f"a passed test's worker should serve the next: {PIDS}"
    assert PIDS["f"] != PIDS["e"], f"a test after a failure should get a fresh worker: {PIDS}"
    other = int(open(os.environ["REUSE_PID_FILE"]).read())
    assert other != PIDS["a"], "section 1.3's worker served section 1.4"
"""

PID_OF_1_3 = """

@pytest.mark.points(0)
def test_z_pid_of_another_section(student):
    open(os.environ["REUSE_PID_FILE"], "w").write(str(student.import_module("os").getpid()))
"""


def _grade_reuse_suite(tmp_path, monkeypatch):
    course = make_course(tmp_path / "course")
    suite = course.suite_dir("hw1_basics")
    (suite / "test_1_4_sigmoid_bce.py").write_text(REUSE_SUITE, encoding="utf-8")
    section_1_3 = suite / "test_1_3_logistic_regression.py"
    section_1_3.write_text(
        "import os\n" + section_1_3.read_text(encoding="utf-8") + PID_OF_1_3, encoding="utf-8"
    )
    monkeypatch.setenv("REUSE_PID_FILE", str(tmp_path / "pid_1_3"))
    path = tmp_path / "hw1_basics.py"
    path.write_text(solution_text(), encoding="utf-8")
    report = grade(path, course=course, seed=1, homeworks=["hw1_basics"])
    return {t.name: t for t in report.homeworks[0].tests}


@pytest.mark.slow
def test_consecutive_tests_of_a_section_share_a_worker_reset_as_loaded(tmp_path, monkeypatch):
    tests = _grade_reuse_suite(tmp_path, monkeypatch)
    failed = {name: t.message for name, t in tests.items() if t.outcome != "passed"}
    assert failed.keys() == {"test_e_fails"}, failed
    assert "output of a" in tests["test_a_leaves_torch_in_other_modes"].output
    assert "output of b" not in tests["test_a_leaves_torch_in_other_modes"].output
    assert "output of a" not in tests["test_b_finds_torch_as_loaded"].output
    assert "output of b" in tests["test_b_finds_torch_as_loaded"].output


@pytest.mark.slow
def test_a_worker_per_test_when_the_instructor_asks(tmp_path, monkeypatch):
    monkeypatch.setenv(WORKER_PER_TEST_ENV, "1")
    tests = _grade_reuse_suite(tmp_path, monkeypatch)
    assert tests["test_b_finds_torch_as_loaded"].outcome == "passed"
    assert "should share a worker" in tests["test_g_checks"].message


def _worker(used: float | None, cpu_s: int = 150, budget: float = 1800.0) -> Worker:
    ours, theirs = socket.socketpair()
    theirs.close()
    read_end, write_end = os.pipe()
    os.close(write_end)
    clock = None if used is None else SimpleNamespace(seconds=lambda: used)
    sandbox = SimpleNamespace(limits=Limits(cpu_s=cpu_s), budget_left=lambda: budget)
    return Worker(sandbox, ours, 1, OutputReader(read_end, 1024), clock)


def test_a_worker_is_reused_only_within_its_cpu_ceiling_and_the_submission_s_budget():
    assert _worker(used=0.5).fits(60)
    assert not _worker(used=100).fits(60), "100 s used + 60 s would pass RLIMIT_CPU's 150 s"
    assert not _worker(used=None).fits(1), "a worker whose CPU time is unknown is not reused"
    ended = _worker(used=0.5)
    ended.status = "ended after its test"
    assert not ended.fits(1)
    assert not _worker(used=0.5, budget=0.0).fits(1), "the submission's budget is spent"


def test_output_marks_split_one_worker_s_output_between_its_tests():
    """A mark reads the pipe to its end at once: what the worker wrote before it answered
    belongs to the test that is ending, however late the reader's thread would get to it."""
    read_end, write_end = os.pipe()
    reader = OutputReader(read_end, 1024)
    os.write(write_end, b"first test\n")
    start = reader.mark()
    os.write(write_end, b"second test\n")
    end = reader.mark()
    os.write(write_end, b"third\n")
    os.close(write_end)
    assert reader.text(start=0, end=start) == "first test\n"
    assert reader.text(start=start, end=end) == "second test\n"
    assert reader.text(start=end) == "third\n"


def test_a_cut_output_says_so_at_its_end_only():
    read_end, write_end = os.pipe()
    reader = OutputReader(read_end, 4)
    os.write(write_end, b"abcdefgh")
    os.close(write_end)
    assert reader.text(start=0) == "abcd\n[4 more bytes of output dropped]"
    assert reader.text(start=0, end=2) == "ab"


def test_a_reset_puts_the_modules_back_as_loaded():
    module = types.ModuleType("reset_me")
    module.f = len
    sys.modules["reset_me"] = module
    try:
        server = Server(None, set(), namespaces(["reset_me"]))
        module.f, module.extra = abs, 1
        server.register(object())
        assert server.handle(data_request(DataOp.RESET), [])[0]["ok"] is True
        assert module.f is len and not hasattr(module, "extra") and not server.objects
    finally:
        del sys.modules["reset_me"]


def test_the_grader_s_writes_into_the_submission_are_noticed():
    module_handle = {"t": "handle", "id": 3}

    def watch(header: dict) -> bool:
        channel = WriteWatch(SimpleNamespace(request=lambda h, b=(): ({"ok": True}, [])))
        channel.modules.add(3)
        channel.request(header)
        return channel.wrote

    assert watch(data_request(DataOp.SETATTR, target=9, name="x", value=1))
    assert watch(data_request(DataOp.CALL, target=5, args=[module_handle], kwargs={"t": "dict"}))
    nested = {"t": "dict", "v": [["m", {"t": "list", "v": [module_handle]}]]}
    assert watch(data_request(DataOp.CALL, target=5, args=[], kwargs=nested))
    assert not watch(data_request(DataOp.CALL, target=3, args=[{"t": "handle", "id": 4}]))
    assert not watch(data_request(DataOp.GETATTR, target=3, name="sigmoid"))
