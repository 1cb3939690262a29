"""The gradebook: one CSV row per student, rebuilt from the batch's saved per-student results.

Trusted side: reads the saved JSON results (data the trusted grader wrote), the roster and the
exam file; nothing here runs or parses student code.

Columns, all read from the course table (never repeated here), in the course plan's order:
``student`` (``name`` and ``email`` too with a roster), ``status``, then for every assignment
its sections (their ids, ``1.3``, ``S4.2``) followed by its total (``HW1``, ``S4``) — an
assignment that is planned but not shipped keeps an empty total column — then ``homework``
(the points of the assignments that count toward the mark), ``exam`` (from the instructor's
exam file), ``total`` (homework + exam), ``mark`` (total divided by ``mark_divisor`` and
rounded half up, as the course plan says: 115 → 12, 105 → 11, 104 → 10), ``flags`` (what the
instructor must look at: a missing exam counted as 0, a submission nobody in the roster
matches, no submission, and the report's integrity flags — ``integrity: …``, a submission that
touched the grader's internals, with the evidence), ``reason`` (why points were lost, or why
the submission was not graded), ``seed`` and ``sources``. The first row after the header holds
the points possible, as Canvas and other LMSs expect on import.
"""

import csv
import io
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from torchgrade.course import Course, Homework, Planned
from torchgrade.results import BatchEntry
from torchgrade.roster import Roster, Submitter

MAX_REASON_CHARS = 500
POINTS_POSSIBLE = "Points Possible"
MISSING = "missing"  # the status of a roster student without a submission
# A cell that a spreadsheet would read as a formula starts with one of these (after any
# spaces, which some importers strip), full-width forms included.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def final_mark(total: float, divisor: float) -> int:
    """``total / divisor`` rounded half up (2.5 -> 3), in exact decimal arithmetic."""
    quotient = Decimal(repr(total)) / Decimal(repr(divisor))
    return int(quotient.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class Extras:
    """What the instructor adds to the grading results: the class list and the exam points."""

    roster: Roster | None = None
    exam: dict[str, float] | None = None
    unmatched: list[str] = field(default_factory=list)  # filled by render: not in the roster


def plan(course: Course, homeworks: list[str] | None = None) -> list[Homework | Planned]:
    """The assignments that get columns: the whole course plan, or the ones chosen."""
    chosen = set(homeworks or [])
    return [a for a in course.plan if not chosen or a.id in chosen]


def columns(assignments: Iterable[Homework | Planned], roster: bool = False) -> list[str]:
    """The CSV header for these assignments."""
    header = ["student", *(["name", "email"] if roster else []), "status"]
    for assignment in assignments:
        sections = [s.id for s in assignment.sections] if isinstance(assignment, Homework) else []
        header += [*sections, assignment.label]
    return [*header, "homework", "exam", "total", "mark", "flags", "reason", "seed", "sources"]


def points_possible(assignments: list[Homework | Planned], course: Course) -> dict[str, str]:
    """The row of maximum points, one per score column."""
    cells = {"student": POINTS_POSSIBLE}
    for assignment in assignments:
        if isinstance(assignment, Homework):
            cells.update({s.id: _number(s.points) for s in assignment.sections})
        cells[assignment.label] = _number(assignment.points)
    counted = sum(a.points for a in assignments if a.counts)
    cells.update(
        homework=_number(counted),
        exam=_number(course.exam_points),
        total=_number(counted + course.exam_points),
        mark=str(final_mark(counted + course.exam_points, course.mark_divisor)),
    )
    return cells


def row(
    entry: BatchEntry, assignments: list[Homework | Planned], course: Course, exam: float | None
) -> dict[str, str]:
    """One student's cells, keyed by :func:`columns`; ``exam`` None: no exam points."""
    cells = {
        "student": entry.student,
        "status": entry.status,
        "reason": _shorten(entry.reason),
        "seed": "",
        "sources": " ".join(entry.sources),
    }
    counted, lost, notes = 0.0, {}, []  # lost: reason -> sections, one broken notebook once
    if entry.graded:
        report = entry.report
        by_id = {h.id: h for h in report.homeworks}
        for assignment in assignments:
            result = by_id.get(assignment.id)
            if result is None or not isinstance(assignment, Homework):
                continue
            sections = {s.id: s for s in result.sections}
            for section in assignment.sections:
                graded = sections.get(section.id)
                if graded is not None:
                    cells[section.id] = _number(graded.score)
                    if graded.score < graded.max_points and graded.reason:
                        lost.setdefault(graded.reason, []).append(section.id)
            cells[assignment.label] = _number(result.score)
            counted += result.score if assignment.counts else 0.0
        reasons = [f"{', '.join(ids)}: {reason}" for reason, ids in lost.items()]
        if report.errors:
            reasons.insert(0, f"grader error in {len(report.errors)} test(s): see the report")
        cells.update(seed=str(report.seed), reason=_shorten("; ".join(reasons)))
        # Integrity flags: evidence for the instructor, never a score (see torchgrade.integrity).
        notes += [_shorten(f"integrity: {line}") for line in report.flags]
    if exam is None and course.exam_points:
        notes.append("exam missing: counted as 0")
    counted = round(counted, 4)
    total = round(counted + (exam or 0.0), 4)
    cells.update(
        homework=_number(counted),
        exam="" if exam is None else _number(exam),
        total=_number(total),
        mark=str(final_mark(total, course.mark_divisor)),
        flags="; ".join(notes),
    )
    return cells


def render(
    entries: Iterable[BatchEntry],
    course: Course,
    homeworks: list[str] | None = None,
    extras: Extras | None = None,
) -> str:
    """The gradebook as CSV text: the header, the points possible, then students by id."""
    extras = extras or Extras()
    assignments = plan(course, homeworks)
    rows = _students(list(entries), extras)
    out = io.StringIO()
    fields = columns(assignments, roster=extras.roster is not None)
    writer = csv.DictWriter(out, fieldnames=fields, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerow(points_possible(assignments, course))
    for entry, student, flags in rows:
        exam = (extras.exam or {}).get(entry.student)
        cells = row(entry, assignments, course, exam)
        if student is not None:
            cells.update(name=student.name, email=student.email)
        cells["flags"] = "; ".join(filter(None, [*flags, cells["flags"]]))
        writer.writerow({k: _safe(v) for k, v in cells.items()})
    return out.getvalue()


def _students(entries: list[BatchEntry], extras: Extras) -> list[tuple]:
    """``(entry, roster student or None, flags)`` per row: the roster's ids where one matches."""
    if extras.roster is None:
        return [(e, None, []) for e in sorted(entries, key=lambda e: e.student)]
    rows, matched = [], set()
    for entry in entries:
        student = extras.roster.find(Submitter(key=entry.student, name=entry.student))
        if student is None:
            extras.unmatched.append(entry.student)
            rows.append((entry, None, ["not in the roster"]))
            continue
        if student.id in matched:
            rows.append((entry, student, [f"a second submission for {student.id}"]))
            continue
        matched.add(student.id)
        rows.append((replace(entry, student=student.id), student, []))
    for student in extras.roster.students:
        if student.id not in matched:
            empty = BatchEntry(student=student.id, sources=[], fingerprint="", status=MISSING)
            rows.append((empty, student, ["no submission"]))
    return sorted(rows, key=lambda r: r[0].student)


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
    path: Path,
    entries: Iterable[BatchEntry],
    course: Course,
    homeworks: list[str] | None = None,
    extras: Extras | None = None,
) -> Path:
    """Write the gradebook atomically (a reader never sees half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(render(entries, course, homeworks, extras), encoding="utf-8")
    os.replace(partial, path)
    return path


def _number(value: float) -> str:
    return f"{value:g}"


def _safe(value: str) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a quote first."""
    return "'" + value if value.lstrip(" ").startswith(_FORMULA_START) else value


def _shorten(text: str) -> str:
    one_line = " ".join(text.split())
    if len(one_line) <= MAX_REASON_CHARS:
        return one_line
    return one_line[: MAX_REASON_CHARS - 3] + "..."
