"""The sandbox: workers are contained, fail one test at a time, and leave nothing behind."""

import os
import time

import pytest
import torch
from helpers import gone, processes_of, require_bwrap

from torchgrade.course import Limits
from torchgrade.remote import StudentError, StudentProxy
from torchgrade.sandbox.lifecycle import Sandbox
from torchgrade.sandbox.policy import bwrap_available
from torchgrade.specs import CellSpec, ModuleSpec, WorkerFailure

LIMITS = Limits(test_timeout_s=20, import_timeout_s=5, cpu_s=20, memory_mib=3072, output_kib=4)
HIDDEN = os.path.dirname(os.path.abspath(__file__))  # tests/ stands in for a secret folder
CELLS = [
    CellSpec("imports", "import os, sys, time, threading\nimport torch", "sub.py"),
    CellSpec("double", "def double(x):\n    return 2 * x", "sub.py", line=3),
    CellSpec(
        "boom", "def boom():\n    helper = {}\n    return helper['missing']", "sub.py", line=6
    ),
]


def _methods():
    methods = ["process"]
    if bwrap_available() or require_bwrap():
        methods.insert(0, "bubblewrap")
    return methods


@pytest.fixture(scope="module", params=_methods())
def sandbox(request):
    with Sandbox(limits=LIMITS, hide=[HIDDEN], method=request.param) as box:
        result = box.load([ModuleSpec("sub", CELLS, ["double", "boom"])])
        assert result.errors == {"sub": {}} and result.missing == {"sub": []}
        yield box


@pytest.fixture
def student(sandbox):
    worker = sandbox.spawn()
    worker.start_clock(LIMITS.test_timeout_s)
    yield StudentProxy(worker, {"sub"}, {})
    worker.close()


def _fresh(sandbox, seconds=10.0):
    worker = sandbox.spawn()
    worker.start_clock(seconds)
    return worker, StudentProxy(worker, {"sub"}, {})


def test_calls_return_data_and_handles(student):
    assert torch.equal(student.sub.double(torch.ones(2, 2)), torch.full((2, 2), 2.0))
    layer = student.torch.nn.Linear(3, 1)
    assert "Linear" in repr(layer) and layer.in_features == 3
    assert tuple(layer(torch.zeros(4, 3)).shape) == (4, 1)
    assert student.probes.layers(student.torch.nn.Sequential(layer))[0]["type"] == "Linear"


def test_student_exception_carries_only_student_frames(student):
    with pytest.raises(StudentError) as info:
        student.sub.boom()
    error = info.value
    assert error.type_name == "KeyError" and "sub.boom(...)" in str(error)
    assert 'File "sub.py", line 8, in boom' in error.traceback
    assert "helper['missing']" in error.traceback and "grader" not in error.traceback


def test_timeout_fails_the_test_and_the_next_worker_is_fresh(sandbox):
    worker, student = _fresh(sandbox, seconds=1.0)
    start = time.monotonic()
    with pytest.raises(WorkerFailure, match="time limit"):
        student.import_module("time").sleep(30)
    assert time.monotonic() - start < 5
    worker, student = _fresh(sandbox)
    assert student.sub.double(3) == 6
    worker.close()


@pytest.mark.parametrize(
    "crash",
    [
        lambda s: s.import_module("os")._exit(3),
        lambda s: s.import_module("ctypes").string_at(0),  # segfault
        lambda s: s.import_module("os").kill(s.import_module("os").getpid(), 9),
    ],
)
def test_a_crash_fails_only_its_test(sandbox, crash):
    worker, student = _fresh(sandbox)
    with pytest.raises(WorkerFailure, match="died"):
        crash(student)
    assert worker.status in {"exited with code 3", "killed by SIGSEGV", "killed by SIGKILL"}
    worker, student = _fresh(sandbox)
    assert student.sub.double(1) == 2
    worker.close()


def test_no_new_processes_or_threads(student):
    with pytest.raises(StudentError, match=r"Resource temporarily unavailable|BlockingIOError"):
        student.import_module("os").fork()
    with pytest.raises(StudentError, match="can't start new thread"):
        student.import_module("threading").Thread(target=None).start()


def test_memory_limit_is_an_error_not_a_crash(student):
    with pytest.raises(StudentError) as info:
        student.torch.empty(8 << 30, dtype=torch.uint8)  # 8 GiB > 3 GiB address space
    assert info.value.type_name in {"RuntimeError", "MemoryError"}


def test_output_is_capped_never_fatal(sandbox):
    worker, student = _fresh(sandbox)
    builtins = student.import_module("builtins")
    builtins.print("x" * 100_000)
    assert student.sub.double(2) == 4  # still alive, still answering
    worker.close()
    text = worker.output.text()
    assert text.startswith("xxx") and len(text) < 5000
    assert "output truncated" in text or "output dropped" in text


def test_each_worker_has_a_private_folder(student):
    cwd = student.import_module("os").getcwd()
    assert "/submission-" in cwd and "/worker-" in cwd
    student.import_module("builtins").open("result.json", "w").write("{}")  # harmless


def test_secrets_and_network(sandbox, student):
    os_ = student.import_module("os")
    if sandbox.method == "bubblewrap":
        with pytest.raises(StudentError, match=r"Permission denied|No such file"):
            os_.listdir(HIDDEN)
        with pytest.raises(StudentError):  # read-only outside the private temp dir
            student.import_module("builtins").open(os.path.join(os.path.dirname(HIDDEN), "x"), "w")
    if os.geteuid() == 0:
        assert os_.getuid() == sandbox.uid and sandbox.uid >= 200_000
    if sandbox.isolation.network.startswith("isolated"):
        sock = student.import_module("socket").socket()
        with pytest.raises(StudentError):
            sock.connect(("1.1.1.1", 53))


def test_import_time_hang_and_crash_cost_only_their_cell():
    cells = [
        *CELLS[:2],
        CellSpec("hang", "while True:\n    pass", "sub.py"),
        CellSpec("die", "import os\nos._exit(0)", "sub.py"),
        CellSpec("late", "def late():\n    return 'ok'", "sub.py"),
    ]
    with Sandbox(limits=LIMITS, method="process") as box:
        result = box.load([ModuleSpec("sub", cells, ["double", "hang", "die", "late"])])
        errors = result.errors["sub"]
        assert set(errors) == {"hang", "die"}
        assert "did not finish within 5 s" in errors["hang"]["message"]
        assert "crashed the worker" in errors["die"]["message"]
        worker = box.spawn()
        worker.start_clock(10)
        assert StudentProxy(worker, {"sub"}, {}).sub.late() == "ok"
        worker.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="submissions get their own uid only under root")
def test_close_leaves_no_process_behind():
    box = Sandbox(limits=LIMITS, method=_methods()[0])
    box.load([ModuleSpec("sub", CELLS, ["double"])])
    workers = [box.spawn() for _ in range(3)]
    assert workers and processes_of(box.uid)
    box.close()
    assert gone(box.uid)
