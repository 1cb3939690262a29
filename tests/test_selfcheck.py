"""The self-check: what a student sees, the same cells as the grader, no fork needed."""

import subprocess
import sys

import pytest
from helpers import ROOT, solution_text

from torchgrade.grading import grade
from torchgrade.report.table import render
from torchgrade.selfcheck import latest_cells

HW = "hw1_basics"
pytestmark = pytest.mark.slow


def test_a_perfect_solution_reads_as_all_public_tests_passed(course):
    report = grade(course=course, target="solutions", homeworks=[HW], public_only=True)
    text = render(report, width=140)
    assert report.exit_code == 0
    tests = [t for t in report.homeworks[0].tests]
    covered = sum(t.points for t in tests)
    assert (
        f"public tests: {len(tests)} / {len(tests)} passed — they cover {covered:g} of 15" in text
    )
    assert "passed" in text and " / 15" not in text.replace("of 15 points", "")


def test_check_one_section(course):
    report = grade(
        course=course, target="solutions", homeworks=[HW], public_only=True, sections=["1.3"]
    )
    assert [s.id for s in report.homeworks[0].sections] == ["1.3"]
    assert {t.section for t in report.homeworks[0].tests} == {"1.3"}


def test_self_check_takes_the_cells_the_grader_takes():
    source = solution_text()
    sigmoid = source[
        source.index("# EXERCISE 1.4 — sigmoid") : source.index("# EXERCISE 1.4 — bce")
    ]
    history = [
        sigmoid.replace("# EXERCISE 1.4 — sigmoid", "# exercise 1.4 - Sigmoid  # mine"),
        "print('an experiment')",
        "# exercise 1.4 — моё решение\nx = 1",  # ambiguous: the grader would not take it
    ]
    chunks = latest_cells(history, HW)
    assert [c.marker.name for c in chunks] == ["sigmoid"]
    assert chunks[0].source.startswith("# EXERCISE 1.4 — sigmoid\n")


NO_FORK = """
import os, sys
del os.fork  # a system without fork, as native Windows
from torchgrade.grading import grade
from torchgrade.report.table import render
report = grade(sys.argv[1], homeworks=["hw1_basics"], public_only=True, sections=["1.3"])
print(render(report, width=200))
sys.exit(int(report.exit_code))
"""


def test_without_fork_the_self_check_runs_in_process_and_says_so(tmp_path):
    module = tmp_path / "hw1_basics.py"
    module.write_text(solution_text(), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", NO_FORK, str(module)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "self-check in-process" in done.stdout and "passed" in done.stdout
