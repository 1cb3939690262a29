"""Gradescope's ``results.json``.

Follows Gradescope's "Autograder Specifications", section "Output format" (the ``specs`` page
of gradescope-autograders.readthedocs.io, sources in gradescope/autograder_samples
``docs/specs.md``, as of its version with ``status``, ``output_format`` and
``test_output_format``). Only keys that specification defines are written:

- top level: ``score`` (overrides the sum of the tests), ``execution_time`` (seconds),
  ``output``, ``output_format``, ``test_output_format``, ``test_name_format``,
  ``visibility``, ``stdout_visibility``, ``extra_data`` (the maximum, seed and isolation: the
  specification has no top-level ``max_score``), ``tests``;
- each test: ``name``, ``number``, ``score``, ``max_score``, ``status`` (``passed`` or
  ``failed``), ``output`` (the student feedback), ``tags`` and ``visibility``.

What a student sees, and when (the specification's "Controlling Test Case Visibility"):

- Hidden tests are ``after_published``: a student sees them, with their feedback, once the
  instructor publishes the grades; public tests are ``visible`` at once. The top-level
  ``visibility`` is ``after_published`` too, the default of any test that names none; while
  a test is hidden, Gradescope does not show the student a total.
- The top-level ``output`` has no visibility of its own, so it says only what may be seen at
  once: the public tests per section, the notes on the submission, and that the rest comes
  with the published grades. Never the total, nor a reason that a hidden test gave. The
  full score table is in the grader's stdout, which stays ``hidden`` (``stdout_visibility``):
  instructors see it, students never.
- :func:`not_graded` (nothing could be graded) is ``visible``: the student must know at once
  why, to upload again before the deadline.

Every text is ``"text"`` format: student-controlled output is never rendered as HTML or
Markdown.
"""

import json

from torchgrade.report import feedback
from torchgrade.results import GradeReport, SectionResult, TestResult

VISIBLE, HIDDEN_UNTIL_PUBLISHED, HIDDEN = "visible", "after_published", "hidden"
NOT_GRADED = "Your submission could not be graded: "


def to_results(report: GradeReport) -> dict:
    """``report`` as the object Gradescope reads from ``/autograder/results/results.json``."""
    tests = []
    for homework in report.homeworks:
        for section in homework.sections:
            for index, test in enumerate(section.tests, start=1):
                tests.append(_test(test, f"{section.id}.{index}", homework.id))
    hidden = any(not t.public for h in report.homeworks for t in h.tests)
    return {
        "score": report.score,
        "execution_time": round(report.duration_s),
        "output": before_publishing(report) if hidden else feedback.summary(report),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": HIDDEN_UNTIL_PUBLISHED if hidden else VISIBLE,
        "stdout_visibility": HIDDEN,
        "extra_data": {
            "max_score": report.max_points,
            "seed": report.seed,
            "public_only": report.public_only,
            "grader_version": report.grader_version,
            "isolation": report.isolation.get("method", ""),
        },
        "tests": tests,
    }


def _test(test: TestResult, number: str, homework: str) -> dict:
    return {
        "name": feedback.title(test),
        "number": number,
        "score": test.score,
        "max_score": test.points,
        "status": "passed" if test.outcome == "passed" else "failed",
        "output": feedback.text(test),
        "tags": [homework, test.section],
        "visibility": VISIBLE if test.public else HIDDEN_UNTIL_PUBLISHED,
    }


def before_publishing(report: GradeReport) -> str:
    """The top-level output: what a student may see before the grades are published.

    Per homework the public tests passed in each section, a section's problem (a missing or
    broken cell: about the submission, not a hidden test) and the notes on the submission;
    never a score that counts hidden tests, nor a hidden test's message.
    """
    lines = []
    for homework in report.homeworks:
        public = [t for t in homework.tests if t.public]
        carried = f"{sum(t.points for t in public):g} of {homework.max_points:g}"
        state = f"public tests: {_passed(public)} (they carry {carried} points)"
        lines.append(f"{homework.id}: {homework.title} — {state if public else 'no public test'}")
        lines += [_section_line(section) for section in homework.sections]
        lines += [f"  note: {feedback.clean(n)}" for n in homework.notes]
        lines.append("")
    lines += [f"note: {feedback.clean(n)}" for n in report.notes]
    lines.append(
        "The hidden tests have run too: their results, the points per section and your total "
        "appear on this page when your instructor publishes the grades."
    )
    return "\n".join(lines).strip()


def _passed(tests: list[TestResult]) -> str:
    return f"{sum(t.outcome == 'passed' for t in tests)} of {len(tests)} passed"


def _section_line(section: SectionResult) -> str:
    public = [t for t in section.tests if t.public]
    line = f"  {section.id:<6} {section.title:<36} "
    line += f"public tests {_passed(public)}" if public else "no public test"
    if section.problems:  # the cell is missing or broken: the student must know at once
        line += "  " + feedback.clean(section.problems[0].splitlines()[0])
    return line


def not_graded(reason: str) -> dict:
    """The results of a submission that could not be graded: score 0 and the whole reason."""
    return {
        "score": 0,
        "output": NOT_GRADED + feedback.clean(reason).strip(),
        "output_format": "text",
        "visibility": VISIBLE,
        "stdout_visibility": HIDDEN,
        "tests": [],
    }


def render(report: GradeReport) -> str:
    return json.dumps(to_results(report), indent=2, ensure_ascii=False) + "\n"


def render_not_graded(reason: str) -> str:
    return json.dumps(not_graded(reason), indent=2, ensure_ascii=False) + "\n"
