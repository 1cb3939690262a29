"""Who a submission belongs to: LMS download names, GitHub Classroom folders and a roster.

Trusted side; reads file names and the instructor's roster, never a submission's contents.

An LMS names the files it hands out after the student, and each its own way:

- Canvas: ``smithalice_LATE_12345_678910_hw1_basics-1.ipynb`` is ``smithalice``, Canvas user
  12345 (``_LATE`` and the resubmission's ``-1`` are optional);
- Moodle: ``Alice Smith_12345_assignsubmission_file_hw1_basics.ipynb`` (a file or a folder) is
  ``Alice Smith``, participant 12345;
- GitHub Classroom: folders ``hw1-basics-alice/``, ``hw1-basics-bob/`` (every repository gets
  the assignment's prefix) are ``alice`` and ``bob``;
- anything else: ``alice_hw1_basics (1).ipynb`` and ``alice/`` are ``alice`` (the assignment's
  module name and a browser's copy number removed).

A roster (CSV: ``id`` and any of ``name``, ``email``, ``github``, ``login``) maps these to the
LMS's own student ids, so the gradebook can be imported back, and lists who submitted nothing.
"""

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from torchgrade.course import Course
from torchgrade.errors import GraderError

_CANVAS = re.compile(r"^(?P<name>[^_]+?)(?:_LATE)?_(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.*)$")
_MOODLE = re.compile(
    r"^(?P<name>.+?)_(?P<uid>\d+)_assignsubmission_(?:file|onlinetext)_(?P<file>.*)$"
)
# What browsers and LMSs append to a downloaded copy: "name (1)", "name-1" (Canvas resubmission).
_COPY_SUFFIX = re.compile(r"(?:\s*\(\d+\)|-\d+)$")


class RosterError(GraderError, ValueError):
    """The roster or the exam file cannot be used; the message says where."""


@dataclass(frozen=True)
class Submitter:
    """The student a submission's name points to: ``key`` is what the gradebook shows."""

    key: str
    name: str = ""
    lms_id: str = ""


def submitter(path: Path, course: Course, classroom_prefix: str = "") -> Submitter:
    """Who ``path`` (a submission file or folder) belongs to, from its name alone."""
    name = path.name if path.is_dir() else path.stem
    for pattern in (_MOODLE, _CANVAS):
        match = pattern.match(name)
        if match:
            who = match.group("name").strip()
            return Submitter(key=who, name=who, lms_id=match.group("uid"))
    if classroom_prefix and path.is_dir() and name.startswith(classroom_prefix):
        return Submitter(key=name[len(classroom_prefix) :])
    return Submitter(key=_strip_assignment(_COPY_SUFFIX.sub("", name), course) or name)


def classroom_prefix(folders: Iterable[Path]) -> str:
    """The prefix GitHub Classroom gives every repository of an assignment (``hw1-basics-``).

    Only when there are two folders or more and they all share a prefix ending in ``-``.
    """
    names = [p.name for p in folders]
    if len(names) < 2:
        return ""
    common = names[0]
    for name in names[1:]:
        while not name.startswith(common):
            common = common[:-1]
    cut = common.rfind("-")
    prefix = common[: cut + 1] if cut > 0 else ""
    return prefix if all(len(n) > len(prefix) for n in names) else ""


def _strip_assignment(name: str, course: Course) -> str:
    """``alice_hw1_basics`` → ``alice``: remove the assignment's module name and separators."""
    for assignment in course.homeworks:
        name = name.replace(assignment.id, " ")
    return re.sub(r"([\s_.\-])[\s_.\-]+", r"\1", name).strip(" _.-")


@dataclass
class Student:
    """One row of the roster."""

    id: str
    name: str = ""
    email: str = ""
    aliases: set[str] = field(default_factory=set)


@dataclass
class Roster:
    """The class list: who should have submitted, and how to recognise them."""

    students: list[Student]

    def find(self, who: Submitter) -> Student | None:
        """The roster row a submission's name matches, or None."""
        wanted = {_plain(who.key), _plain(who.name), _plain(who.lms_id)} - {""}
        for student in self.students:
            if wanted & student.aliases:
                return student
        return None


def load_roster(path: Path) -> Roster:
    """Read a roster CSV: column ``id`` required; ``name``, ``email``, ``github``, ``login``."""
    header, rows = _read_csv(path)
    if "id" not in header:
        raise RosterError(f"{path}: the roster needs an 'id' column (found: {', '.join(header)})")
    students = []
    for line, row in enumerate(rows, start=2):
        sid = (row.get("id") or "").strip()
        if not sid:
            raise RosterError(f"{path}:{line}: empty id")
        name, email = (row.get("name") or "").strip(), (row.get("email") or "").strip()
        aliases = {sid, row.get("github") or "", row.get("login") or "", email, name}
        aliases |= {email.split("@")[0]} if email else set()
        if name:  # Canvas writes "smithalice": last name, then first names, in lower case
            words = name.split()
            aliases |= {words[-1] + "".join(words[:-1])}
        students.append(Student(sid, name, email, {_plain(a) for a in aliases} - {""}))
    seen: set[str] = set()
    for student in students:
        if student.id in seen:
            raise RosterError(f"{path}: student id {student.id!r} appears twice")
        seen.add(student.id)
    return Roster(students)


def load_exam(path: Path, maximum: float) -> dict[str, float]:
    """Exam points per student: a CSV with ``student`` (or ``id``) and ``exam`` (or ``points``)."""
    header, rows = _read_csv(path)
    key = next((c for c in ("student", "id") if c in header), None)
    value = next((c for c in ("exam", "points", "score") if c in header), None)
    if not key or not value:
        raise RosterError(
            f"{path}: the exam file needs a 'student' (or 'id') and an 'exam' (or 'points') column"
        )
    points: dict[str, float] = {}
    for line, row in enumerate(rows, start=2):
        student, text = (row.get(key) or "").strip(), (row.get(value) or "").strip()
        if not student or not text:
            continue  # an empty cell is a missing exam, flagged in the gradebook
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise RosterError(f"{path}:{line}: {text!r} is not a number of points") from None
        if not 0 <= number <= maximum:
            raise RosterError(f"{path}:{line}: {number:g} is outside 0..{maximum:g}")
        points[student] = number
    return points


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header (lower case) and the rows of a CSV (or tab-separated) file."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # Excel writes a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read {path}: {exc}") from exc
    dialect = csv.excel_tab if text.count("\t") > text.count(",") else csv.excel
    reader = csv.DictReader(text.splitlines(), dialect=dialect)
    rows = [{(k or "").strip().lower(): v for k, v in row.items()} for row in reader]
    return [f.strip().lower() for f in reader.fieldnames or []], rows


def _plain(text: str) -> str:
    """Case, accents, spaces and punctuation removed: how names are compared."""
    folded = unicodedata.normalize("NFKD", text or "").casefold()
    return "".join(c for c in folded if c.isalnum())
