"""Submissions graded one after another by one grader process never meet.

Each submission's template is the first process of pid, mount and IPC namespaces of its own
(an empty /tmp, /var/tmp and /dev/shm, its own /proc and System V IPC), so whatever one
submission leaves behind — files, folders, modules, shared memory, semaphores, children — is
gone before the next one starts, and two submissions graded at once cannot see each other.
The hard limits are set before any student code, so a template whose cells replaced the
limit-setting code still cannot raise them.

Two levels, both through one zygote per grader process: sandboxes opened by hand, to look
inside with a proxy; and the mini course graded as a batch by one grader process, honest
classmates before and after hostile ones, whose scores must not move.
"""

import dataclasses
import json
import os
import resource
import subprocess
import sys

import helpers
import pytest
from helpers import ROOT, gone, replace_chunks, require_bwrap, solution_text
from minicourse import chunk, make_course

from torchgrade.course import Limits
from torchgrade.remote import StudentError, StudentProxy
from torchgrade.sandbox.lifecycle import Sandbox
from torchgrade.sandbox.policy import bwrap_available
from torchgrade.specs import CellSpec, ModuleSpec, WorkerFailure
from torchgrade.worker.system import EXTRA_TEMPLATE_TASKS

pytestmark = pytest.mark.slow
LIMITS = Limits(test_timeout_s=20, import_timeout_s=20, cpu_s=20, memory_mib=3072, output_kib=4)
KEY = 0x74670001  # the System V IPC key the attacker uses
IPC_CREAT = 0o1000

# At import, in the template: leave everything a later submission could trip over.
LEAVE_BEHIND = """\
import ctypes, os, time

def _leave_behind():
    for place in ("/tmp", "/var/tmp", "/dev/shm", os.getcwd()):
        try:
            with open(os.path.join(place, "statistics.py"), "w") as f:
                f.write("raise ImportError('planted by a classmate')\\n")
            with open(os.path.join(place, "left-behind"), "w") as f:
                f.write("secret of the first submission")
        except OSError:
            pass
    for pid in range(1, 1000):  # the folders later templates would make
        try:
            os.mkdir(f"/tmp/submission-{pid}", 0)
        except OSError:
            pass
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmget(KEY, 4096, IPC_CREAT | 0o666)
    libc.semget(KEY, 1, IPC_CREAT | 0o666)
    if os.fork() == 0:  # a daemon: its own session, reparented, sleeping forever
        os.setsid()
        if os.fork() == 0:
            while True:
                time.sleep(0.05)
        os._exit(0)

_leave_behind()
""".replace("KEY", str(KEY)).replace("IPC_CREAT", str(IPC_CREAT))

# The limit-setting code replaced at import; each worker then forks as much as it can.
UNLIMITED = """\
import os, resource, time
import torchgrade.worker.system as _system

_system.set_worker_limits = lambda limits: None

def fork_many(n):
    made = 0
    for _ in range(n):
        try:
            if os.fork() == 0:
                time.sleep(600)
                os._exit(0)
            made += 1
        except OSError:
            break
    return made

def raise_limit(which):
    soft, hard = resource.getrlimit(which)
    resource.setrlimit(which, (hard * 2 + 1000, hard * 2 + 1000))
"""


def _methods() -> list[str]:
    methods = ["process"]
    if bwrap_available() or require_bwrap():
        methods.insert(0, "bubblewrap")
    return methods


def _open(method: str, source: str) -> Sandbox:
    box = Sandbox(limits=LIMITS, method=method)
    result = box.load([ModuleSpec("sub", [CellSpec("cell", source, "sub.py")], [])])
    assert result.errors == {"sub": {}}, result.errors
    if not box.isolation.namespaces.startswith("own"):
        box.close()
        pytest.skip(f"no namespaces per submission here: {box.isolation.namespaces}")
    return box


def _proxy(box: Sandbox) -> StudentProxy:
    worker = box.spawn()
    worker.start_clock(LIMITS.test_timeout_s)
    return StudentProxy(worker, {"sub"}, {})


def _look_around(student: StudentProxy) -> dict:
    """What a submission can see of the machine's shared places."""
    os_ = student.import_module("os")
    read = student.import_module("builtins").open
    libc = student.import_module("ctypes").CDLL(None)
    places = [p for p in ("/tmp", "/var/tmp", "/dev/shm") if os_.path.isdir(p)]
    return {
        "files": {p: sorted(os_.listdir(p)) for p in places},
        "processes": sorted(int(p) for p in os_.listdir("/proc") if p.isdigit()),
        "shm": read("/proc/sysvipc/shm").read().splitlines()[1:],
        "sem": read("/proc/sysvipc/sem").read().splitlines()[1:],
        "key": (libc.shmget(KEY, 0, 0), libc.semget(KEY, 0, 0)),
    }


@pytest.mark.parametrize("method", _methods())
def test_nothing_of_a_submission_reaches_the_next(method):
    first = _open(method, LEAVE_BEHIND)
    seen_by_first = _look_around(_proxy(first))
    assert "left-behind" in seen_by_first["files"]["/tmp"]  # the attack did happen
    assert seen_by_first["shm"] and seen_by_first["key"][0] >= 0
    uid = first.uid
    first.close()
    if uid is not None:
        assert gone(uid), "a process of the first submission survived it"

    second = _open(method, "x = 1")
    seen = _look_around(_proxy(second))
    second.close()
    for place, names in seen["files"].items():
        assert names in ([], ["submission-1"]), (place, names)
    # its template, this worker and the spare (which the template may still be forking)
    assert {1, 2} <= set(seen["processes"]) <= {1, 2, 3}, seen["processes"]
    assert seen["shm"] == [] and seen["sem"] == [] and seen["key"] == (-1, -1)


@pytest.mark.parametrize("method", _methods())
def test_submissions_at_the_same_time_cannot_see_each_other(method, tmp_path):
    elsewhere = tmp_path / "another-students-submission.py"
    elsewhere.write_text("# EXERCISE 1.3 — LogisticRegression\n")
    first = _open(method, "open('/tmp/mine', 'w').write('first')")
    second = _open(method, "open('/tmp/mine', 'w').write('second')")
    try:
        one, two = _proxy(first), _proxy(second)
        assert one.import_module("builtins").open("/tmp/mine").read() == "first"
        assert two.import_module("builtins").open("/tmp/mine").read() == "second"
        for student in (one, two):  # each sees its template, its worker and its spare
            assert set(_look_around(student)["processes"]) <= {1, 2, 3}
        if method == "bubblewrap":  # other students' files are not in the read-only view,
            # nor is anything on the grader's sys.path or in its current folder
            exists = two.import_module("os").path.exists
            assert not exists(str(elsewhere))
            assert not exists(helpers.__file__)  # tests/ is on sys.path: helpers imports
            assert not exists(os.path.join(os.getcwd(), "README.md"))
    finally:
        first.close()
        second.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="the process cap binds the submission's own uid")
@pytest.mark.parametrize("method", _methods())
def test_replaced_limit_code_cannot_lift_the_hard_limits(method):
    box = _open(method, UNLIMITED)
    try:
        student = _proxy(box)
        made = student.sub.fork_many(500)
        assert 0 < made <= EXTRA_TEMPLATE_TASKS  # the workers' own limit is gone, the cap is not
        for which in (resource.RLIMIT_NPROC, resource.RLIMIT_CPU, resource.RLIMIT_AS):
            with pytest.raises(StudentError):
                student.sub.raise_limit(which)
        uid = box.uid
    finally:
        box.close()
    assert gone(uid), "a child forked by the worker survived the submission"


def test_the_memory_of_a_submission_is_bounded_as_a_whole():
    limits = dataclasses.replace(LIMITS, submission_memory_mib=256)  # address space: 3 GiB
    box = Sandbox(limits=limits, method=_methods()[0])
    source = "def hog(n):\n    block = b'x' * n\n    return len(block)\n"
    try:
        box.load([ModuleSpec("sub", [CellSpec("cell", source, "sub.py")], ["hog"])])
        if "cgroup" not in box.isolation.memory:
            pytest.skip(f"no memory cgroup here: {box.isolation.memory}")
        student = _proxy(box)
        assert student.sub.hog(64 << 20) == 64 << 20
        with pytest.raises(WorkerFailure, match="died"):
            student.sub.hog(512 << 20)  # within its address space, beyond the submission's
        assert _proxy(box).sub.hog(1) == 1  # the next test goes on
    finally:
        box.close()


# ----------------------------------------------------------------------------- a batch


HONEST = replace_chunks(
    solution_text(),
    chunk(
        """
        # IMPORTS — hw1_basics
        import statistics  # a module the zygote has not imported: found on sys.path now

        import torch
        from sklearn.datasets import make_moons
        from sklearn.model_selection import train_test_split
        from torch import nn
        """
    ),
)


def _hostile(code: str) -> str:
    imports = "# IMPORTS — hw1_basics\nimport torch\nfrom torch import nn\n"
    imports += "from sklearn.datasets import make_moons\n"
    imports += "from sklearn.model_selection import train_test_split\n\n" + code
    return replace_chunks(solution_text(), imports)


FORK_IN_WORKER = _hostile(
    UNLIMITED
    + "\n\n# EXERCISE 1.4 — sigmoid\n"
    + "def sigmoid(z):\n    fork_many(1000)\n    return 1 / (1 + torch.exp(-z))\n"
)


# One grader process grades the submissions named on its command line, one after another,
# and prints one JSON line per report (a process of its own: the mini course's suite must
# not meet the real course's in this one).
BATCH = """
import json, sys
from torchgrade.course import load_course
from torchgrade.grading import grade

course = load_course(sys.argv[1])
for path in sys.argv[2:]:
    report = grade(path, course=course, seed=3, homeworks=["hw1_basics"])
    print(json.dumps({"score": report.score, "max": report.max_points,
                      "isolation": report.isolation}), flush=True)
"""


def test_a_batch_of_honest_and_hostile_submissions(tmp_path):
    """Honest classmates score the same before and after hostile ones, in one process."""
    make_course(tmp_path / "mini")
    batch = [
        ("honest-first", HONEST),
        ("leaves-everything-behind", _hostile(LEAVE_BEHIND)),
        ("forks-in-its-workers", FORK_IN_WORKER),
        ("honest-second", HONEST),
        ("honest-third", HONEST),
    ]
    paths = []
    for name, text in batch:
        path = tmp_path / name / "hw1_basics.py"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    toml = str(tmp_path / "mini" / "grader" / "course.toml")
    done = subprocess.run(
        [sys.executable, "-c", BATCH, toml, *paths],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    reports = dict(zip((n for n, _ in batch), map(json.loads, lines), strict=True))
    alone = reports["honest-first"]
    if not alone["isolation"]["namespaces"].startswith("own"):
        pytest.skip(f"no namespaces per submission here: {alone['isolation']['namespaces']}")
    assert alone["score"] == alone["max"]
    assert reports["honest-second"]["score"] == reports["honest-third"]["score"] == alone["score"]
    for name, report in reports.items():
        user = report["isolation"]["user"]
        if user.endswith("(unprivileged, of its own)"):
            assert gone(int(user.split()[1])), f"{name} left a process behind"
