"""``--no-sandbox``: the in-process stand-in behaves like the sandbox, minus the isolation."""

import sys
from dataclasses import asdict

import pytest

from torchgrade.course import Limits
from torchgrade.grading import grade
from torchgrade.remote import StudentError, StudentProxy
from torchgrade.sandbox.inprocess import InProcessSandbox
from torchgrade.specs import CellSpec, ModuleSpec

MODULE = "inprocess_submission"
CELLS = [
    CellSpec("double", "def double(x):\n    return 2 * x", "sub.py"),
    CellSpec("broken", "raise ValueError('no')", "sub.py", line=3),
    CellSpec("boom", "def boom():\n    return {}['missing']", "sub.py", line=5),
]


@pytest.fixture
def box():
    with InProcessSandbox(limits=Limits(cpu_s=7)) as box:
        yield box
    sys.modules.pop(MODULE, None)


def test_load_announces_each_cell_and_reports_like_a_template(box):
    seen = []
    result = box.load(
        [ModuleSpec(MODULE, CELLS, ["double", "boom", "absent"])],
        on_cell=lambda module, key: seen.append((module, key)),
    )
    assert seen == [(MODULE, "double"), (MODULE, "broken"), (MODULE, "boom")]
    assert list(result.errors[MODULE]) == ["broken"]
    assert result.errors[MODULE]["broken"]["type"] == "ValueError"
    assert result.missing == {MODULE: ["absent"]}


def test_a_worker_answers_through_the_wire_encoding(box):
    box.load([ModuleSpec(MODULE, CELLS, [])])
    worker = box.spawn()
    worker.start_clock(5)
    student = StudentProxy(worker, {MODULE}, {})
    assert getattr(student, MODULE).double(21) == 42
    with pytest.raises(StudentError, match="KeyError") as raised:
        getattr(student, MODULE).boom()
    assert "sub.py" in raised.value.traceback  # the student's frames only, as in a worker
    assert worker.close() == "finished" and worker.output.text() == ""


@pytest.mark.slow
def test_the_report_says_not_isolated_with_the_course_limits(course):
    report = grade(course=course, target="solutions", homeworks=["hw1_basics"], sandbox="none")
    assert report.full_marks
    assert report.isolation["method"] == "none"
    assert report.isolation["limits"] == asdict(course.limits)
