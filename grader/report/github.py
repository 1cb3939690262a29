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
"""

import base64
import html
import json
import re
from collections.abc import Mapping
from pathlib import Path

from grader.report import feedback
from grader.results import GradeReport, TestResult

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


def encode(report: GradeReport) -> str:
    """The value of the step output ``result``: base64 of the compact JSON."""
    compact = json.dumps(to_result(report), separators=(",", ":"), ensure_ascii=False)
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
    written = []
    output = environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as f:
            f.write(f"result={encode(report)}\n")
        written.append(Path(output))
    step_summary = environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as f:
            f.write(summary(report))
        written.append(Path(step_summary))
    return written
