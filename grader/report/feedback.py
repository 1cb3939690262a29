"""What a student is told about one test, shared by every report format.

The feedback of a failed test is its ``message`` — the assertion's own text (what was called,
on which shapes, what was expected), the student's exception with a traceback trimmed to the
student's own lines, or why the worker failed — followed by what the student's code printed.
It is never the test's ``details`` (pytest's traceback, which quotes the hidden test's source
and its inputs): those stay in the instructor-only JSON (``to_dict(details=True)``).
"""

import re

from torchgrade.results import GradeReport, HomeworkResult, TestResult

# Student-controlled text must not move the cursor, recolour or fake lines of a report.
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f]")
MAX_OUTPUT_LINES = 12
MAX_FEEDBACK_CHARS = 4000


def clean(text: str) -> str:
    """Strip terminal escape sequences and control characters (keeps newlines and tabs)."""
    return _CONTROL.sub("", text)


def shorten(text: str, limit: int = MAX_FEEDBACK_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying so."""
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + f"\n[... {len(text) - limit} more characters]"


def title(test: TestResult) -> str:
    """A readable name: ``1.4 bce loss is stable for large logits``."""
    name = test.name[5:] if test.name.startswith("test_") else test.name
    return f"{test.section} {name.replace('_', ' ')}".strip()


def message(test: TestResult) -> str:
    """Why the test failed, for the student; empty for a passed test."""
    if test.outcome == "passed":
        return ""
    text = clean(test.message).rstrip() or "failed"
    if test.outcome == "error":
        text += "\n[grader error: the course staff has been told; this is not your fault]"
    return text


def student_output(test: TestResult, max_lines: int = MAX_OUTPUT_LINES) -> str:
    """The first lines the student's code printed during the test, if any."""
    lines = clean(test.output).rstrip().splitlines()
    if not lines:
        return ""
    more = ["..."] if len(lines) > max_lines else []
    return "\n".join(lines[:max_lines] + more)


def text(test: TestResult) -> str:
    """Message and printed output of a failed test as plain text, capped in length."""
    body = message(test)
    output = student_output(test)
    if output:
        body += "\n\nyour output:\n" + output
    return shorten(body)


def section_lines(homework: HomeworkResult) -> list[str]:
    """One plain-text line per section: id, title, score and the reason points were lost."""
    lines = [f"{homework.id}: {homework.title} — {points(homework.score, homework.max_points)}"]
    for s in homework.sections:
        reason = clean(s.reason)
        lines.append(
            f"  {s.id:<6} {s.title:<36} {points(s.score, s.max_points):>11}"
            + (f"  {reason}" if reason else "")
        )
    lines += [f"  note: {clean(n)}" for n in homework.notes]
    return lines


def summary(report: GradeReport) -> str:
    """The score table of a whole report as plain text (Gradescope's top-level output)."""
    lines = []
    for homework in report.homeworks:
        lines += [*section_lines(homework), ""]
    if len(report.homeworks) > 1:
        lines.append(f"Total: {points(report.score, report.max_points)}")
    lines += [f"note: {clean(n)}" for n in report.notes]
    scope = " (public tests only)" if report.public_only else ""
    lines.append(f"seed {report.seed}{scope}")
    return "\n".join(lines).strip()


def points(score: float, max_points: float) -> str:
    return f"{score:g} / {max_points:g}"
