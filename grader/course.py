"""The course table (``course.toml``) as plain dataclasses: assignments, sections, limits, rules.

Trusted side: read by the grader process; nothing here runs student code.
"""

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from torchgrade.errors import GraderError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_COURSE = PACKAGE_DIR / "course.toml"


class CourseError(GraderError, ValueError):
    """The course table is malformed; the message says where."""


class SuiteError(CourseError):
    """A hidden suite is malformed or cannot run (an instructor's error, never a student's)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission's workers (see ``[limits]`` in course.toml)."""

    test_timeout_s: float = 60.0
    import_timeout_s: float = 60.0
    cpu_s: int = 120
    memory_mib: int = 4096
    output_kib: int = 64
    file_size_mib: int = 64


@dataclass(frozen=True)
class Section:
    """One graded section: ``exercises`` are the public names its cells define."""

    id: str
    title: str
    points: float
    exercises: tuple[str, ...]
    forbid: dict[str, tuple[str, ...]] = field(default_factory=dict)


KINDS = ("homework", "seminar")
_PREFIX = {"homework": "hw", "seminar": "sem"}


@dataclass(frozen=True)
class Homework:
    """One graded assignment of the course: a homework or a seminar, a module ``id``.

    ``kind`` says which; homeworks count toward the final mark and seminars do not, unless
    the table says otherwise (``counts``). ``number`` is the one in the id (``hw2_…`` → 2,
    ``sem1_…`` → 1), and its sections are numbered after it (``2.1``; ``S1.1`` for seminars).
    """

    id: str
    title: str
    sections: tuple[Section, ...]
    kind: str = "homework"
    counts: bool = True
    lecture: str = ""  # the lectures it practises, by topic (for docs/curriculum.md)

    @property
    def number(self) -> int:
        return _number(self.id, self.kind)

    @property
    def label(self) -> str:
        """The gradebook's column for its total: ``HW1``, ``S4``."""
        return _label(self.kind, self.number)

    @property
    def points(self) -> float:
        return sum(s.points for s in self.sections)

    @property
    def exercises(self) -> tuple[str, ...]:
        return tuple(name for s in self.sections for name in s.exercises)

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(f"{self.id} has no section {section_id!r}")

    def section_of(self, exercise: str) -> Section:
        for s in self.sections:
            if exercise in s.exercises:
                return s
        raise KeyError(f"{self.id} has no exercise {exercise!r}")


@dataclass(frozen=True)
class Planned:
    """An assignment of the course plan that is not shipped yet: a title and its points."""

    id: str
    title: str
    points: float
    kind: str = "homework"
    counts: bool = True
    lecture: str = ""

    @property
    def number(self) -> int:
        return _number(self.id, self.kind)

    @property
    def label(self) -> str:
        return _label(self.kind, self.number)


@dataclass(frozen=True)
class Course:
    """The whole course: where its files live, its assignments, its limits and its marks.

    ``homeworks`` are the shipped assignments, homeworks and seminars alike (everything the
    grader can grade), in course order; ``planned`` the ones the course plan announces but
    nobody can submit yet. The final mark is ``(points of the assignments that count + exam)
    / mark_divisor``, rounded half up.
    """

    title: str
    config_dir: Path
    homeworks: tuple[Homework, ...]
    limits: Limits
    mark_divisor: float = 10.0
    table: Path | None = None  # the course.toml this was read from
    planned: tuple[Planned, ...] = ()
    exam_points: float = 0.0

    @property
    def points(self) -> float:
        """Points of the shipped assignments (what one grading run can award at most)."""
        return sum(h.points for h in self.homeworks)

    @property
    def plan(self) -> tuple[Homework | Planned, ...]:
        """Every assignment, shipped or planned: homeworks by number, then seminars."""
        everything = [*self.homeworks, *self.planned]
        return tuple(sorted(everything, key=lambda a: (KINDS.index(a.kind), a.number)))

    @property
    def max_total(self) -> float:
        """The most a student can reach toward the final mark: counted assignments + exam."""
        return sum(a.points for a in self.plan if a.counts) + self.exam_points

    def homework(self, homework_id: str) -> Homework:
        for h in self.homeworks:
            if h.id == homework_id:
                return h
        for p in self.planned:
            if p.id == homework_id:
                raise CourseError(f"{homework_id!r} is planned but not shipped yet")
        known = ", ".join(h.id for h in self.homeworks)
        raise CourseError(f"unknown assignment {homework_id!r} (the course has: {known})")

    def select(self, homework_ids: Iterable[str] | None = None) -> list[Homework]:
        """The assignments named (course order kept as given), or all shipped ones."""
        ids = list(homework_ids or [])
        return [self.homework(h) for h in ids] if ids else list(self.homeworks)

    @property
    def root(self) -> Path:
        """The project root: the folder holding ``exercises/``, ``solutions/``, ``notebooks/``."""
        return self.config_dir.parent

    @property
    def suites_dir(self) -> Path:
        return self.config_dir / "suites"

    def suite_dir(self, homework_id: str) -> Path:
        return self.suites_dir / homework_id

    def module_path(self, package: str, homework_id: str) -> Path:
        """``package`` is ``exercises`` or ``solutions``."""
        return self.root / package / f"{homework_id}.py"

    def notebook_path(self, homework_id: str) -> Path:
        return self.root / "notebooks" / f"{homework_id}.ipynb"

    def notebook_source(self, homework_id: str) -> Path:
        return self.root / "notebooks" / "src" / f"{homework_id}.md"


def load_course(path: Path | None = None) -> Course:
    """Read and validate a course table (default: the bundled ``grader/course.toml``)."""
    path = Path(path) if path else DEFAULT_COURSE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CourseError(f"cannot read course table {path}: {exc}") from exc
    unknown = set(data) - {"course", "limits", "assignment"}
    if unknown:
        raise CourseError(
            f"{path}: unknown table(s) {sorted(unknown)}; assignments are [[assignment]] tables"
        )
    meta = data.get("course", {})
    raw = data.get("assignment", [])
    shipped = tuple(
        sorted(  # course order: homeworks by number, then seminars, whatever the table's order
            (_assignment(a) for a in raw if a.get("status", "shipped") == "shipped"),
            key=lambda a: (KINDS.index(a.kind), a.number),
        )
    )
    planned = tuple(_planned(a) for a in raw if a.get("status", "shipped") == "planned")
    everything = [*shipped, *planned]
    _check_unique([a.id for a in everything], "assignment id")
    _check_unique([a.label for a in everything], "assignment number")
    _check_unique([s.id for h in shipped for s in h.sections], "section id")
    return Course(
        title=meta.get("title", "course"),
        config_dir=path.resolve().parent,
        homeworks=shipped,
        limits=Limits(**data.get("limits", {})),
        mark_divisor=float(meta.get("mark_divisor", 10)),
        table=path.resolve(),
        planned=planned,
        exam_points=float(meta.get("exam_points", 0)),
    )


def _kind(raw: dict) -> tuple[str, bool]:
    """The assignment's kind and whether it counts toward the final mark."""
    kind = raw.get("kind", "homework")
    if kind not in KINDS:
        raise CourseError(f"assignment {raw.get('id', '?')}: kind must be one of {KINDS}")
    status = raw.get("status", "shipped")
    if status not in ("shipped", "planned"):
        raise CourseError(f"assignment {raw.get('id', '?')}: status must be shipped or planned")
    return kind, bool(raw.get("counts", kind == "homework"))


def _assignment(raw: dict) -> Homework:
    kind, counts = _kind(raw)
    try:
        sections = tuple(_section(s) for s in raw["section"])
        homework = Homework(
            id=raw["id"], title=raw["title"], sections=sections, kind=kind, counts=counts,
            lecture=raw.get("lecture", ""),
        )
    except KeyError as exc:
        raise CourseError(f"assignment {raw.get('id', '?')}: missing key {exc}") from exc
    prefix = f"{'S' if kind == 'seminar' else ''}{homework.number}."
    for section in sections:
        if not section.id.startswith(prefix):
            raise CourseError(f"{homework.id}: section {section.id!r} must start with {prefix!r}")
    _check_unique(list(homework.exercises), f"exercise in {homework.id}")
    return homework


def _planned(raw: dict) -> Planned:
    kind, counts = _kind(raw)
    try:
        return Planned(
            id=raw["id"], title=raw["title"], points=float(raw["points"]), kind=kind,
            counts=counts, lecture=raw.get("lecture", ""),
        )
    except KeyError as exc:
        raise CourseError(f"assignment {raw.get('id', '?')}: missing key {exc}") from exc


def _number(assignment_id: str, kind: str) -> int:
    """The number in an id: ``hw2_segmentation`` → 2 (homework), ``sem1_backprop`` → 1."""
    match = re.fullmatch(rf"{_PREFIX[kind]}(\d+)_\w+", assignment_id)
    if not match:
        raise CourseError(
            f"assignment id {assignment_id!r}: a {kind} id reads {_PREFIX[kind]}<number>_<name>"
        )
    return int(match.group(1))


def _label(kind: str, number: int) -> str:
    return f"{'HW' if kind == 'homework' else 'S'}{number}"


def _section(raw: dict) -> Section:
    exercises = tuple(raw["exercises"])
    forbid = {name: tuple(patterns) for name, patterns in raw.get("forbid", {}).items()}
    stray = set(forbid) - set(exercises)
    if stray:
        raise CourseError(f"section {raw['id']}: forbid names unknown exercises {sorted(stray)}")
    return Section(raw["id"], raw["title"], float(raw["points"]), exercises, forbid)


def _check_unique(values: list[str], what: str) -> None:
    seen = set()
    for value in values:
        if value in seen:
            raise CourseError(f"duplicate {what}: {value!r}")
        seen.add(value)
