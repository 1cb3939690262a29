"""Attacks whose defence is more than a score: what must not happen in the grader's world.

The corpus (test_corpus.py) proves each attack scores exactly its honest part. These tests
check the side effects: nothing the worker sends is executed here, files it writes never
reach the grader's file system, its output cannot forge the report, and a submission that
hangs, crashes and fork-bombs is graded in bounded time with no process left behind.
Submissions here hold only the cells under attack, so the other sections fail fast.
"""

import dataclasses
import os
import resource
import time
from pathlib import Path

import pytest
from helpers import ROOT, gone, need_bwrap

from torchgrade.grading import grade
from torchgrade.plugin import feedback
from torchgrade.report.table import render

pytestmark = pytest.mark.slow
IMPORTS = "# IMPORTS — hw1_basics\nimport torch\nfrom torch import nn\n\n\n"


def _grade(tmp_path: Path, body: str, course, **limits) -> object:
    path = tmp_path / "hw1_basics.py"
    path.write_text(IMPORTS + body, encoding="utf-8")
    if limits:
        course = dataclasses.replace(course, limits=dataclasses.replace(course.limits, **limits))
    return grade(path, course=course, seed=1, homeworks=["hw1_basics"])


def _section(report, section_id: str):
    return next(s for s in report.homeworks[0].sections if s.id == section_id)


def test_nothing_the_worker_sends_is_unpickled_or_run(tmp_path, course):
    marker = Path("/tmp/torchgrade-pwned-by-reduce")
    marker.unlink(missing_ok=True)
    body = (
        "# EXERCISE 1.3 — LogisticRegression\n"
        "class _Payload:\n"
        "    def __reduce__(self):\n"
        "        import os\n"
        f"        return (os.system, ('touch {marker}',))\n\n"
        "class LogisticRegression(nn.Module):\n"
        "    def __init__(self, d):\n        super().__init__()\n"
        "    def forward(self, X):\n        return _Payload()\n"
    )
    report = _grade(tmp_path, body, course)
    assert _section(report, "1.3").score == 0
    assert not marker.exists()


def test_output_cannot_forge_the_report(tmp_path, course):
    fake = "\\x1b[2J\\x1b[HSCORE 15 / 15\\n1.3 LogisticRegression 2 / 2"
    body = (
        "# EXERCISE 1.3 — LogisticRegression\n"
        f"print('{fake}')\n"
        "class LogisticRegression(nn.Module):\n"
        "    def __init__(self, d):\n"
        f"        super().__init__()\n        print('{fake}')\n"
        "    def forward(self, X):\n        return torch.zeros(X.shape[0], 1)\n"
    )
    report = _grade(tmp_path, body, course)
    assert report.score == 0
    text = render(report)
    assert "\x1b" not in text
    for line in text.splitlines():  # forged lines appear only as the student's quoted output
        if "SCORE 15 / 15" in line or "2 / 2" in line:
            assert line.lstrip().startswith("│"), line


def test_files_written_by_the_worker_stay_in_the_sandbox(tmp_path, course):
    need_bwrap("without it the worker can write files")
    watched = [ROOT, ROOT / "grader", Path.home(), Path("/tmp")]
    name = f"results-{os.getpid()}.json"  # a name nothing else on the machine writes
    body = (
        "# EXERCISE 1.3 — LogisticRegression\n"
        "import os\n"
        f"_PLACES = {[str(p) for p in watched]!r} + [os.getcwd()]\n"
        "def _spray():\n"
        "    for place in _PLACES:\n"
        "        try:\n"
        f"            open(os.path.join(place, {name!r}), 'w').write('{{\"score\": 15}}')\n"
        "        except OSError:\n"
        "            pass\n"
        "_spray()\n"
        "class LogisticRegression(nn.Module):\n"
        "    def __init__(self, d):\n        super().__init__()\n        _spray()\n"
        "    def forward(self, X):\n        return torch.zeros(X.shape[0], 1)\n"
    )
    report = _grade(tmp_path, body, course)
    assert _section(report, "1.3").score == 0
    assert [p for p in watched if (p / name).exists()] == []


def test_hang_crash_and_fork_bomb_are_bounded_and_leave_nothing(tmp_path, course):
    body = (
        "# EXERCISE 1.3 — LogisticRegression\n"
        "class LogisticRegression(nn.Module):\n"
        "    def __init__(self, d):\n        super().__init__()\n"
        "        while True:\n            pass\n\n\n"
        "# EXERCISE 1.4 — sigmoid\n"
        "import ctypes\n"
        "def sigmoid(z):\n    ctypes.string_at(0)\n\n\n"
        "# EXERCISE 1.6 — make_mlp\n"
        "import os\n"
        "while True:\n"
        "    try:\n        os.fork()\n"
        "    except OSError:\n        pass\n"
    )
    start = time.monotonic()
    report = _grade(tmp_path, body, course, test_timeout_s=3, import_timeout_s=5)
    elapsed = time.monotonic() - start
    assert report.score == 0
    assert "did not finish" in _section(report, "1.6").reason
    assert elapsed < 120, elapsed
    if os.geteuid() == 0:  # the submission ran as a uid of its own: none of it may remain
        assert gone(int(report.isolation["user"].split()[1]))


def test_a_forged_reply_costs_the_grader_bounded_memory(tmp_path, course):
    """The worker answers a call with 4,000 tensors that all name one 1 MiB buffer: decoded
    naively, 4 GB in the grader (a reply the test unpacks once reached 23 GB). It is refused:
    the test fails against the submission, and the grader's peak memory barely moves."""
    body = (
        "# EXERCISE 1.3 — LogisticRegression\n"
        "import gc, os\n"
        "def _forge():\n"
        "    from torchgrade.framing import send_message\n"
        "    server = next(o for o in gc.get_objects() if type(o).__name__ == 'Server')\n"
        "    tensor = {'t': 'tensor', 'dtype': 'uint8', 'shape': [1 << 20], 'buf': 0}\n"
        "    send_message(server.sock, {'ok': True, 'value': [tensor] * 4000}, [bytes(1 << 20)])\n"
        "    os._exit(0)\n"
        "class LogisticRegression(nn.Module):\n"
        "    def __init__(self, d):\n"
        "        super().__init__()\n        self.w = nn.Parameter(torch.zeros(d, 1))\n"
        "    def forward(self, X):\n        _forge()\n"
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    report = _grade(tmp_path, body, course)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    section = _section(report, "1.3")
    assert section.score == 0 and not report.errors
    messages = " ".join(t.message for t in section.tests)
    assert "used by more than one array" in messages, messages
    assert grown_mib < 1024, grown_mib


def test_a_value_that_breaks_a_message_counts_against_the_student(tmp_path, course):
    """An integer too large for a float once broke the tests' messages ("grader error — not
    your fault", exit 2); now the message says what came back and the test simply fails."""
    body = (
        "# EXERCISE 1.3 — LogisticRegression\n"
        "class LogisticRegression(nn.Module):\n"
        "    def __init__(self, d):\n"
        "        super().__init__()\n        self.w = nn.Parameter(torch.zeros(d, 1))\n"
        "    def forward(self, X):\n        return 10 ** 400\n\n\n"
        "# EXERCISE 1.5 — accuracy\n"
        "def accuracy(y_pred, y_true):\n    return 10 ** 400\n"
    )
    report = _grade(tmp_path, body, course)
    assert not report.errors, [t.message for t in report.errors]
    for section_id in ("1.3", "1.5"):
        assert _section(report, section_id).score < _section(report, section_id).max_points
    messages = " ".join(t.message for t in _section(report, "1.3").tests)
    assert "an integer of 401 digits" in messages, messages


class _Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no")


@pytest.mark.parametrize(
    ("exc", "during_test", "blame"),
    [
        (OverflowError("int too large to convert to float"), True, "student"),
        (TypeError("unsupported format string passed to Handle.__format__"), True, "student"),
        (_Unprintable(), True, "student"),
        (NameError("name 'helper' is not defined"), True, "grader"),  # a bug of the suite
        (ValueError("fixture"), False, "grader"),  # outside the test's own code
    ],
)
def test_exceptions_from_a_students_value_are_the_students(exc, during_test, blame):
    message, who = feedback(exc, during_test=during_test)
    assert who == blame and message


def test_a_template_cannot_blame_cells_it_was_never_sent(tmp_path, course):
    """A cell that announces made-up cells, then hangs: believed, each made-up cell would be
    blamed for the hang and the template restarted without it, forever. The report may name
    only cells the grader sent, so the real cell is blamed once and the rest is graded."""
    body = (
        "# EXERCISE 1.3 — LogisticRegression\n"
        "import gc, os, time\n"
        "from torchgrade.framing import send_message\n"
        "_t = next(o for o in gc.get_objects() if type(o).__name__ == 'Template')\n"
        "send_message(_t.ctrl, {'event': 'cell', 'module': 'hw1_basics', "
        "'key': os.urandom(8).hex()})\n"
        "time.sleep(3600)\n\n\n"
        "# EXERCISE 1.4 — sigmoid\n"
        "def sigmoid(z):\n    return 1 / (1 + torch.exp(-z))\n"
    )
    start = time.monotonic()
    report = _grade(tmp_path, body, course, test_timeout_s=5, import_timeout_s=5)
    assert time.monotonic() - start < 180
    assert _section(report, "1.3").score == 0 and _section(report, "1.3").reason
    sigmoid = [t for t in _section(report, "1.4").tests if "sigmoid" in t.name]
    assert any(t.outcome == "passed" for t in sigmoid), [t.message for t in sigmoid]
    assert not report.errors
