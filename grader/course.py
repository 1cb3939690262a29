"""The course table (``course.toml``) as plain dataclasses: homeworks, sections, limits, rules."""

import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_COURSE = PACKAGE_DIR / "course.toml"


class CourseError(ValueError):
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


@dataclass(frozen=True)
class Homework:
    """One homework: a module ``id`` with its sections, in course order."""

    id: str
    title: str
    sections: tuple[Section, ...]

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
class Course:
    """The whole course: where its files live, its homeworks and its limits."""

    title: str
    config_dir: Path
    homeworks: tuple[Homework, ...]
    limits: Limits
    mark_divisor: float = 10.0
    table: Path | None = None  # the course.toml this was read from

    @property
    def points(self) -> float:
        return sum(h.points for h in self.homeworks)

    def homework(self, homework_id: str) -> Homework:
        for h in self.homeworks:
            if h.id == homework_id:
                return h
        known = ", ".join(h.id for h in self.homeworks)
        raise KeyError(f"unknown homework {homework_id!r} (the course has: {known})")

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
    meta = data.get("course", {})
    homeworks = tuple(_homework(h) for h in data.get("homework", []))
    _check_unique([h.id for h in homeworks], "homework id")
    _check_unique([s.id for h in homeworks for s in h.sections], "section id")
    return Course(
        title=meta.get("title", "course"),
        config_dir=path.resolve().parent,
        homeworks=homeworks,
        limits=Limits(**data.get("limits", {})),
        mark_divisor=float(meta.get("mark_divisor", 10)),
        table=path.resolve(),
    )


def _homework(raw: dict) -> Homework:
    try:
        sections = tuple(_section(s) for s in raw["section"])
        homework = Homework(id=raw["id"], title=raw["title"], sections=sections)
    except KeyError as exc:
        raise CourseError(f"homework {raw.get('id', '?')}: missing key {exc}") from exc
    _check_unique(list(homework.exercises), f"exercise in {homework.id}")
    return homework


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
