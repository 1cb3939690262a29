"""Time limits: CPU time per test, a wall-clock backstop with one retry, a hang costs once.

Graded with the mini course (tests/minicourse.py: sections 1.3 and 1.4, five tests) and
short limits, so each case costs seconds. What is asserted is outcomes and counts (workers
that ran out of time, workers asked for), never durations.
"""

import dataclasses
import os
import subprocess
import sys

import pytest
from helpers import replace_chunks, solution_text
from minicourse import chunk, make_course

from torchgrade.errors import ExitCode
from torchgrade.grading import grade
from torchgrade.plugin import GraderPlugin
from torchgrade.report import feedback
from torchgrade.sandbox import lifecycle

pytestmark = pytest.mark.slow

# Two more tests of bce_loss (0 points: the section's total stays the course table's).
MORE_BCE_TESTS = '''\
"""1.4 (mini): two more calls of bce_loss."""

import pytest
import torch

pytestmark = pytest.mark.section("1.4")


@pytest.mark.points(0)
def test_bce_of_one_sample(student):
    student.hw1_basics.bce_loss(torch.ones(1, 2), torch.ones(2, 1), torch.ones(1))


@pytest.mark.points(0)
def test_bce_of_zero_logits(student):
    student.hw1_basics.bce_loss(torch.zeros(3, 2), torch.ones(2, 1), torch.ones(3))
'''

SPINNING_BCE = chunk(
    """
    # EXERCISE 1.4 — bce_loss
    import signal


    def bce_loss(X, w, y):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGXCPU):
            signal.signal(sig, signal.SIG_IGN)
        while True:
            pass
    """
)
# Correct, and slow: 0.4 s of CPU per call, so a busy machine stretches a test's wall-clock
# time past its CPU limit (1 s) while its CPU time stays well inside it.
SLOW_SIGMOID = chunk(
    """
    # EXERCISE 1.4 — sigmoid
    import time


    def sigmoid(z):
        end = time.process_time() + 0.4
        while time.process_time() < end:
            pass
        m = z.clamp(min=0).detach()
        top = torch.exp(z - m)
        return top / (torch.exp(-m) + top)
    """
)


def _napping_sigmoid(first_call_only: bool) -> str:
    """A correct sigmoid that sleeps (no CPU time) in its first call, or in every call.

    The workers of one submission share their template's folder: a file there tells a
    retried test's fresh worker that the first call has happened.
    """
    condition = "not os.path.exists(flag)" if first_call_only else "True"
    return chunk(
        f"""
        # EXERCISE 1.4 — sigmoid
        import os
        import time


        def sigmoid(z):
            flag = os.path.join(os.path.dirname(os.getcwd()), "napped")
            if {condition}:
                open(flag, "w").close()
                time.sleep(120)
            m = z.clamp(min=0).detach()
            top = torch.exp(z - m)
            return top / (torch.exp(-m) + top)
        """
    )


@pytest.fixture
def stops(monkeypatch):
    """Every time limit a worker met in this test, in order (the grader's own record)."""
    found = []
    stop = lifecycle.Worker._stop

    def recording(worker, used):
        found.append(stop(worker, used))
        return found[-1]

    monkeypatch.setattr(lifecycle.Worker, "_stop", recording)
    return found


@pytest.fixture
def attempts(monkeypatch):
    """How many times the submission's tests asked for a worker (fresh or reused): one per
    test, and one more per retry."""
    count = [0]
    worker_for = GraderPlugin._worker_for

    def counting(plugin, section, seconds):
        count[0] += 1
        return worker_for(plugin, section, seconds)

    monkeypatch.setattr(GraderPlugin, "_worker_for", counting)
    return count


def _grade(tmp_path, chunks: str, **limits):
    course = make_course(tmp_path / "course")
    course = dataclasses.replace(course, limits=dataclasses.replace(course.limits, **limits))
    suite = course.suite_dir("hw1_basics")
    (suite / "test_1_4_more_bce.py").write_text(MORE_BCE_TESTS, encoding="utf-8")
    path = tmp_path / "hw1_basics.py"
    path.write_text(replace_chunks(solution_text(), chunks), encoding="utf-8")
    report = grade(path, course=course, seed=1, homeworks=["hw1_basics"])
    return report, {t.name: t for t in report.homeworks[0].tests}


def test_a_spinning_exercise_costs_its_tests_once(tmp_path, stops, attempts):
    # A generous backstop: on however busy a machine, the CPU limit is what stops the spin.
    report, tests = _grade(tmp_path, SPINNING_BCE, test_timeout_s=1.5, wall_factor=40)
    bce = [
        "test_bce_is_the_mean_cross_entropy",
        "test_bce_of_one_sample",
        "test_bce_of_zero_logits",
    ]
    assert [str(s) for s in stops] == ["ran out of time: 1.5 s of CPU"]  # one spin, not three
    assert all(tests[name].outcome == "error" for name in bce)
    first, *later = sorted((tests[n] for n in bce), key=lambda t: "already" in t.message)
    assert first.message == "ran out of time: 1.5 s of CPU in hw1_basics.bce_loss(...)"
    for test in later:
        assert test.message.startswith("ran out of time: `bce_loss` already ran out of time in")
    assert all(t.out_of_time for t in (first, *later))
    assert "[time limit" in feedback.message(first)
    # Its siblings are graded as usual; a time limit is the submission's, not a grader error.
    assert [s.score for s in report.homeworks[0].sections] == [1, 1]
    assert report.errors == [] and report.exit_code == ExitCode.LOST
    assert attempts[0] == len(tests)  # no retry: the CPU limit is no busy machine's fault


def test_a_loaded_machine_keeps_a_correct_submission_at_full_marks(tmp_path, stops):
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(min(32, max(4, 2 * (os.cpu_count() or 1))))
    ]
    try:
        report, tests = _grade(tmp_path, SLOW_SIGMOID, test_timeout_s=1.0)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert report.full_marks, {n: t.message for n, t in tests.items() if t.outcome != "passed"}
    assert not [s for s in stops if not s.backstop]  # no test ran out of CPU time


def test_a_test_stopped_by_the_backstop_is_retried_once_in_a_fresh_worker(
    tmp_path, stops, attempts
):
    report, tests = _grade(tmp_path, _napping_sigmoid(first_call_only=True), test_timeout_s=0.5)
    assert report.full_marks, {n: t.message for n, t in tests.items() if t.outcome != "passed"}
    assert len(stops) == 1 and stops[0].backstop
    assert "no answer within 2 s of wall-clock time" in str(stops[0])
    assert attempts[0] == len(tests) + 1


def test_a_test_that_waits_twice_is_a_time_limit_and_costs_its_exercise_once(
    tmp_path, stops, attempts
):
    report, tests = _grade(tmp_path, _napping_sigmoid(first_call_only=False), test_timeout_s=0.5)
    assert len(stops) == 2 and all(s.backstop for s in stops)  # the test and its one retry
    assert attempts[0] == len(tests) + 1
    sigmoid = [tests["test_sigmoid_of_zero_is_half"], tests["test_sigmoid_matches_the_formula"]]
    assert [t.outcome for t in sigmoid] == ["error", "error"]
    assert sigmoid[0].message.startswith("ran out of time: no answer within 2 s of wall-clock time")
    assert "hw1_basics.sigmoid(...), twice, each time in a fresh worker" in sigmoid[0].message
    assert "`sigmoid` already ran out of time in test_sigmoid_of_zero_is_half" in (
        sigmoid[1].message
    )
    assert tests["test_bce_is_the_mean_cross_entropy"].outcome == "passed"
    assert [s.score for s in report.homeworks[0].sections] == [1, 1]


@pytest.mark.parametrize(
    ("calls", "blamed"),
    [
        (["hw1_basics.bce_loss(...)"], ["bce_loss"]),
        (
            ["hw1_basics.LogisticRegression(...).fit(...)", "hw1_basics.make_mlp(...)"],
            ["LogisticRegression"],
        ),
        (
            [
                "torchgrade.probes.train_classifier(...)",
                "hw1_basics.make_mlp(...)",
                "torch.ones(...)",
            ],
            ["make_mlp"],
        ),
        (["time.sleep(...)"], []),
        (["hw1_basics.not_an_exercise(...)"], []),
    ],
)
def test_blame_goes_to_the_exercise_called_else_to_those_handed_to_a_probe(course, calls, blamed):
    plugin = GraderPlugin(
        course=course,
        secret=b"",
        homework=course.homework("hw1_basics"),
        spawn=lambda: None,
        section_problems={},
        exercise_problems={},
        modules={"hw1_basics"},
        seed=1,
        limits=course.limits,
    )
    assert plugin._blamed(calls) == [("hw1_basics", name) for name in blamed]
