"""The gradebook: one CSV row per student, rebuilt from the batch's saved per-student results.

Columns, all read from the course table (never repeated here): ``student``, ``status``, one
column per section (its id, e.g. ``1.3``) followed by the homework's total (its id, e.g.
``hw1_basics``) for each homework in course order, then ``total``, ``mark`` (``total``
divided by ``mark_divisor`` and rounded half up: the course plan's "сумма баллов, делённая на 10,
округление математическое"), ``reason`` (why points were lost, or why the submission was not
graded), ``seed`` and ``sources``. A homework missing from a submission leaves its cells
empty and counts 0 in the total; a submission that could not be graded has empty scores.
"""

import csv
import io
import json
import os
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from grader.course import Course, Homework
from grader.results import BatchEntry

MAX_REASON_CHARS = 500


def final_mark(total: float, divisor: float) -> int:
    """``total / divisor`` rounded half up (2.5 -> 3), in exact decimal arithmetic."""
    quotient = Decimal(repr(total)) / Decimal(repr(divisor))
    return int(quotient.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def columns(homeworks: Iterable[Homework]) -> list[str]:
    """The CSV header for these homeworks."""
    header = ["student", "status"]
    for homework in homeworks:
        header += [s.id for s in homework.sections] + [homework.id]
    return [*header, "total", "mark", "reason", "seed", "sources"]


def row(entry: BatchEntry, homeworks: list[Homework], course: Course) -> dict[str, str]:
    """One student's cells, keyed by :func:`columns`."""
    cells = {
        "student": entry.student,
        "status": entry.status,
        "reason": _shorten(entry.reason),
        "seed": "",
        "sources": " ".join(entry.sources),
    }
    if not entry.graded:
        return cells
    report = entry.report
    by_id = {h.id: h for h in report.homeworks}
    total = 0.0
    lost: dict[str, list[str]] = {}  # reason -> sections, so one broken notebook is one reason
    for homework in homeworks:
        result = by_id.get(homework.id)
        if result is None:
            continue
        sections = {s.id: s for s in result.sections}
        for section in homework.sections:
            graded = sections.get(section.id)
            if graded is not None:
                cells[section.id] = _number(graded.score)
                if graded.score < graded.max_points and graded.reason:
                    lost.setdefault(graded.reason, []).append(section.id)
        cells[homework.id] = _number(result.score)
        total += result.score
    reasons = [f"{', '.join(ids)}: {reason}" for reason, ids in lost.items()]
    if report.errors:
        reasons.insert(0, f"grader error in {len(report.errors)} test(s): see the report")
    total = round(total, 4)
    cells.update(
        total=_number(total),
        mark=str(final_mark(total, course.mark_divisor)),
        seed=str(report.seed),
        reason=_shorten("; ".join(reasons)),
    )
    return cells


def render(
    entries: Iterable[BatchEntry], course: Course, homeworks: list[str] | None = None
) -> str:
    """The gradebook as CSV text, rows sorted by student."""
    chosen = [course.homework(h) for h in homeworks] if homeworks else list(course.homeworks)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns(chosen), restval="", lineterminator="\n")
    writer.writeheader()
    for entry in sorted(entries, key=lambda e: e.student):
        writer.writerow(row(entry, chosen, course))
    return out.getvalue()


def load_entries(reports_dir: Path) -> list[BatchEntry]:
    """Every per-student result saved in ``reports_dir`` (unreadable files are skipped)."""
    entries = []
    for path in sorted(Path(reports_dir).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and "batch_schema_version" in data:
                entries.append(BatchEntry.from_dict(data))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a half-written or foreign file: that student is regraded next time
    return entries


def write(
    path: Path, entries: Iterable[BatchEntry], course: Course, homeworks: list[str] | None = None
) -> Path:
    """Write the gradebook atomically (a reader never sees half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(render(entries, course, homeworks), encoding="utf-8")
    os.replace(partial, path)
    return path


def _number(value: float) -> str:
    return f"{value:g}"


def _shorten(text: str) -> str:
    one_line = " ".join(text.split())
    if len(one_line) <= MAX_REASON_CHARS:
        return one_line
    return one_line[: MAX_REASON_CHARS - 3] + "..."
