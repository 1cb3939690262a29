"""GitHub Classroom: the autograding reporter's runner result, and a job summary in Markdown.

GitHub Classroom's current autograding (2024 on) runs grader actions, each of which sets a
step output ``result`` = base64 of a JSON document, and then
``classroom-resources/autograding-grading-reporter@v1`` with ``runners: <step ids>`` and one
environment variable ``<STEP ID UPPER-CASED>_RESULTS`` per runner holding that output.
We follow that JSON as the reporter (``src/main.js``, ``src/notify-classroom.js`` at its v1
head) and ``autograding-python-grader`` (``runner/``) read and write it::

    {"version": 1, "status": "pass" | "fail" | "error", "max_score": <points>,
     "tests": [{"name", "status": "pass" | "fail" | "error", "message", "line_no",
                "execution_time", "score"}]}

The reporter posts ``Points <Σ tests[].score>/<Σ max_score>`` to the check run that Classroom
reads, so ``score`` is each test's points earned. (Its console table, unlike the posted
points, weighs tests by count; our job summary shows the real points per section.) We never
send ``test_code``: the reporter would print a hidden test's source. ``line_no`` is 0, which
the reporter shows as no line.

``grader grade --format github`` also appends ``result=<base64>`` to ``$GITHUB_OUTPUT`` and
the Markdown summary to ``$GITHUB_STEP_SUMMARY`` when the job defines them (:func:`publish`).
When nothing was graded (exit 2) there is no report; the workflow then publishes
:func:`not_graded_result` instead (:mod:`torchgrade.report.not_graded`): the reporter always gets a
result, and Classroom a ``Points 0/<max>`` with the reason.
"""

import base64
import html
import json
import re
from collections.abc import Mapping
from pathlib import Path

from torchgrade.report import feedback
from torchgrade.results import GradeReport, TestResult

RESULT_VERSION = 1
MAX_MESSAGE_CHARS = 2000  # per test: the step output and the summary have size limits


def to_result(report: GradeReport) -> dict:
    """The runner result the grading reporter decodes."""
    tests = [_test(t) for h in report.homeworks for t in h.tests]
    if report.errors:
        status = "error"
    elif report.full_marks:
        status = "pass"
    else:
        status = "fail"
    return {
        "version": RESULT_VERSION,
        "status": status,
        "max_score": report.max_points,
        "tests": tests,
    }


def _test(test: TestResult) -> dict:
    status = {"passed": "pass", "failed": "fail"}.get(test.outcome, "error")
    return {
        "name": feedback.title(test),
        "status": status,
        "message": feedback.shorten(feedback.text(test), MAX_MESSAGE_CHARS) or None,
        "line_no": 0,
        "execution_time": f"{round(test.duration_s * 1000)}ms",
        "score": test.score,
    }


def render(report: GradeReport) -> str:
    return json.dumps(to_result(report), indent=2, ensure_ascii=False) + "\n"


def not_graded_result(reason: str, max_score: float) -> dict:
    """A runner result for a submission that was not graded: one errored test, 0 points.

    ``max_score`` must be the assignment's points: the reporter posts nothing to Classroom
    when it is 0, and the student would see no score at all.
    """
    message = feedback.shorten(feedback.clean(reason), MAX_MESSAGE_CHARS)
    test = {
        "name": "submission could not be graded",
        "status": "error",
        "message": message,
        "line_no": 0,
        "execution_time": "0ms",
        "score": 0,
    }
    return {"version": RESULT_VERSION, "status": "error", "max_score": max_score, "tests": [test]}


def encode(report: GradeReport) -> str:
    """The value of the step output ``result``: base64 of the compact JSON."""
    return encode_result(to_result(report))


def encode_result(result: dict) -> str:
    """A runner result as the step output ``result`` carries it: base64 of compact JSON."""
    compact = json.dumps(result, separators=(",", ":"), ensure_ascii=False)
    return base64.b64encode(compact.encode("utf-8")).decode("ascii")


def summary(report: GradeReport) -> str:
    """A Markdown job summary: per homework a section table, then each failed test's feedback."""
    parts = []
    for homework in report.homeworks:
        parts.append(
            f"### {_cell(homework.id)}: {_cell(homework.title)} — "
            f"{feedback.points(homework.score, homework.max_points)}\n"
        )
        parts.append("| Section | Title | Score | Why points were lost |")
        parts.append("|---|---|---:|---|")
        for s in homework.sections:
            mark = "✅" if s.score == s.max_points else ("❌" if s.score == 0 else "⚠️")
            parts.append(
                f"| {s.id} | {_cell(s.title)} | {mark} {feedback.points(s.score, s.max_points)} "
                f"| {_cell(s.reason)} |"
            )
        parts.append("")
        parts += [f"> note: {_cell(n)}" for n in homework.notes]
        failed = [t for t in homework.tests if t.outcome != "passed"]
        if failed:
            parts.append(f"<details><summary>Failed tests ({len(failed)})</summary>\n")
            for test in failed:
                parts.append(f"**{_cell(feedback.title(test))}** ({test.points:g} pt)\n")
                parts.append(_fenced(feedback.shorten(feedback.text(test), MAX_MESSAGE_CHARS)))
            parts.append("</details>\n")
    if len(report.homeworks) > 1:
        parts.append(f"**Total: {feedback.points(report.score, report.max_points)}**\n")
    parts += [f"> note: {_cell(n)}" for n in report.notes]
    scope = " · public tests only" if report.public_only else ""
    parts.append(
        f"<sub>seed {report.seed} · isolation: {_cell(str(report.isolation.get('method')))}"
        f" · {report.duration_s:.1f} s{scope}</sub>"
    )
    return "\n".join(parts).strip() + "\n"


def _cell(text: str) -> str:
    """Student text inside a Markdown table cell: one line, no HTML, no column breaks."""
    one_line = " ".join(feedback.clean(text).split())
    return html.escape(one_line, quote=False).replace("|", "\\|")


def _fenced(text: str) -> str:
    """A code block whose fence is longer than any backtick run in ``text`` (cannot be closed)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}\n"


def publish(report: GradeReport, environ: Mapping[str, str]) -> list[Path]:
    """Append the step output and the job summary where GitHub Actions asks for them.

    Returns the files written (none outside GitHub Actions).
    """
    return _publish(encode(report), summary(report), environ)


def publish_not_graded(reason: str, max_score: float, environ: Mapping[str, str]) -> list[Path]:
    """:func:`publish` for a submission that was not graded: a zero score and the reason."""
    text = f"### Not graded — 0 / {max_score:g}\n\n{_fenced(feedback.clean(reason))}"
    return _publish(encode_result(not_graded_result(reason, max_score)), text, environ)


def _publish(result: str, step_summary: str, environ: Mapping[str, str]) -> list[Path]:
    written = []
    output = environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as f:
            f.write(f"result={result}\n")
        written.append(Path(output))
    summary_file = environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as f:
            f.write(step_summary)
        written.append(Path(summary_file))
    return written
