"""Gradescope's ``results.json``.

Follows Gradescope's "Autograder Specifications", section "Output format" (the ``specs`` page
of gradescope-autograders.readthedocs.io, sources in gradescope/autograder_samples
``docs/specs.md``, as of its version with ``status``, ``output_format`` and
``test_output_format``). Only keys that specification defines are written:

- top level: ``score`` (overrides the sum of the tests), ``execution_time`` (seconds),
  ``output`` (the score table), ``output_format``, ``test_output_format``,
  ``test_name_format``, ``visibility``, ``stdout_visibility``, ``extra_data`` (the maximum,
  seed and isolation: the specification has no top-level ``max_score``), ``tests``;
- each test: ``name``, ``number``, ``score``, ``max_score``, ``status`` (``passed`` or
  ``failed``), ``output`` (the student feedback), ``tags`` and ``visibility``.

Hidden tests are ``after_published``: a student sees them, with their feedback, once the
instructor publishes the grades; public tests are ``visible`` at once. Every text is
``"text"`` format: student-controlled output is never rendered as HTML or Markdown.
Gradescope's own ``stdout`` (the grader's console) stays ``hidden``, for instructors.
"""

import json

from grader.report import feedback
from grader.results import GradeReport, TestResult

VISIBLE, HIDDEN_UNTIL_PUBLISHED = "visible", "after_published"


def to_results(report: GradeReport) -> dict:
    """``report`` as the object Gradescope reads from ``/autograder/results/results.json``."""
    tests = []
    for homework in report.homeworks:
        for section in homework.sections:
            for index, test in enumerate(section.tests, start=1):
                tests.append(_test(test, f"{section.id}.{index}", homework.id))
    return {
        "score": report.score,
        "execution_time": round(report.duration_s),
        "output": feedback.summary(report),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": VISIBLE,
        "stdout_visibility": "hidden",
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


def render(report: GradeReport) -> str:
    return json.dumps(to_results(report), indent=2, ensure_ascii=False) + "\n"
