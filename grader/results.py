"""Grading results as plain dataclasses: test -> section -> homework -> report.

These are the data every report format is rendered from; ``GradeReport.to_dict`` is the
documented JSON schema (``grader/schemas/report.schema.json``).
"""

from dataclasses import asdict, dataclass, field

from torchgrade.errors import ExitCode

SCHEMA_VERSION = 1
BATCH_SCHEMA_VERSION = 1


def _round(x: float) -> float:
    return round(x + 0.0, 4)


@dataclass
class TestResult:
    """One hidden test: its points, its outcome and the feedback for the student.

    ``outcome`` is ``passed``, ``failed`` (the submission lost the points) or ``error`` (the
    grader itself failed: a bug in a test, which ``grader check`` reports).
    ``details`` is the instructor-only traceback; it is never shown to students.
    """

    __test__ = False  # not a pytest test class

    id: str
    name: str
    section: str
    points: float
    score: float
    outcome: str
    message: str = ""
    output: str = ""
    duration_s: float = 0.0
    public: bool = False
    details: str = ""


@dataclass
class SectionResult:
    """One section of a homework; ``problems`` say why it, or one of its exercises, could not be
    graded (a missing, broken or forbidden cell: the tests that touch it failed)."""

    id: str
    title: str
    max_points: float
    tests: list[TestResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return _round(sum(t.score for t in self.tests))

    @property
    def reason(self) -> str:
        """One line saying why points were lost, or ``""`` at full marks."""
        if self.problems:
            return self.problems[0].splitlines()[0]
        failed = [t for t in self.tests if t.outcome != "passed"]
        if not failed:
            return ""
        first = failed[0].message.splitlines()[0] if failed[0].message else "failed"
        more = f" (+{len(failed) - 1} more failed)" if len(failed) > 1 else ""
        return first + more


@dataclass
class HomeworkResult:
    """One homework of a submission."""

    id: str
    title: str
    origin: str
    sections: list[SectionResult]
    notes: list[str] = field(default_factory=list)
    load_output: str = ""

    @property
    def score(self) -> float:
        return _round(sum(s.score for s in self.sections))

    @property
    def max_points(self) -> float:
        return _round(sum(s.max_points for s in self.sections))

    @property
    def tests(self) -> list[TestResult]:
        return [t for s in self.sections for t in s.tests]


@dataclass
class GradeReport:
    """The result of grading one submission."""

    submission: str
    seed: int
    homeworks: list[HomeworkResult]
    isolation: dict
    started: str
    duration_s: float
    grader_version: str
    public_only: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return _round(sum(h.score for h in self.homeworks))

    @property
    def max_points(self) -> float:
        return _round(sum(h.max_points for h in self.homeworks))

    @property
    def errors(self) -> list[TestResult]:
        """Tests that failed because of the grader, not the submission."""
        return [t for h in self.homeworks for t in h.tests if t.outcome == "error"]

    @property
    def full_marks(self) -> bool:
        return self.score == self.max_points

    @property
    def exit_code(self) -> ExitCode:
        """2 when a test could not be judged (a grader error), else 0 full marks, 1 points lost.

        A self-check (public tests only) never had the hidden points in play: it is 0 when
        every public test passed.
        """
        if self.errors:
            return ExitCode.NOT_GRADED
        if self.public_only:
            passed = all(t.outcome == "passed" for h in self.homeworks for t in h.tests)
            return ExitCode.FULL if passed else ExitCode.LOST
        return ExitCode.FULL if self.full_marks else ExitCode.LOST

    @classmethod
    def from_dict(cls, data: dict) -> "GradeReport":
        """The inverse of :meth:`to_dict`: a saved JSON report back as dataclasses."""
        return cls(
            submission=data["submission"],
            seed=data["seed"],
            homeworks=[_homework_from_dict(h) for h in data["homeworks"]],
            isolation=data.get("isolation", {}),
            started=data.get("started", ""),
            duration_s=data.get("duration_s", 0.0),
            grader_version=data.get("grader_version", ""),
            public_only=data.get("public_only", False),
            notes=list(data.get("notes", [])),
        )

    def to_dict(self, details: bool = False) -> dict:
        """The JSON report (schema version 1); ``details`` adds instructor-only tracebacks."""
        return {
            "schema_version": SCHEMA_VERSION,
            "submission": self.submission,
            "score": self.score,
            "max_score": self.max_points,
            "seed": self.seed,
            "public_only": self.public_only,
            "started": self.started,
            "duration_s": _round(self.duration_s),
            "grader_version": self.grader_version,
            "isolation": self.isolation,
            "notes": self.notes,
            "homeworks": [_homework_dict(h, details) for h in self.homeworks],
        }


def _homework_dict(h: HomeworkResult, details: bool) -> dict:
    return {
        "id": h.id,
        "title": h.title,
        "origin": h.origin,
        "score": h.score,
        "max_score": h.max_points,
        "notes": h.notes,
        "sections": [
            {
                "id": s.id,
                "title": s.title,
                "score": s.score,
                "max_score": s.max_points,
                "problems": s.problems,
                "reason": s.reason,
                "tests": [_test_dict(t, details) for t in s.tests],
            }
            for s in h.sections
        ],
    }


def _test_dict(t: TestResult, details: bool) -> dict:
    data = asdict(t)
    data["max_score"] = data.pop("points")
    data["duration_s"] = _round(t.duration_s)
    if not details:
        data.pop("details")
    return data


def _homework_from_dict(data: dict) -> HomeworkResult:
    return HomeworkResult(
        id=data["id"],
        title=data["title"],
        origin=data.get("origin", ""),
        sections=[
            SectionResult(
                id=s["id"],
                title=s["title"],
                max_points=s["max_score"],
                tests=[_test_from_dict(t) for t in s["tests"]],
                problems=list(s.get("problems", [])),
            )
            for s in data["sections"]
        ],
        notes=list(data.get("notes", [])),
    )


def _test_from_dict(data: dict) -> TestResult:
    fields = {k: v for k, v in data.items() if k in TestResult.__dataclass_fields__}
    return TestResult(**fields, points=data["max_score"])


@dataclass
class BatchEntry:
    """One student of a batch: where the submission came from and how grading ended.

    ``status`` is ``graded`` (``report`` holds the grade, possibly 0 for a broken notebook) or
    ``not graded`` (no report: the submission was unreadable, or the grader process crashed or
    ran out of time; ``reason`` says which). One such entry is saved as JSON per student; the
    gradebook is rebuilt from them, and they are what makes a batch resumable.
    """

    student: str
    sources: list[str]
    fingerprint: str
    status: str
    reason: str = ""
    exit_code: int | None = None
    graded_at: str = ""
    duration_s: float = 0.0
    report: GradeReport | None = None

    @property
    def graded(self) -> bool:
        return self.status == "graded" and self.report is not None

    def to_dict(self) -> dict:
        return {
            "batch_schema_version": BATCH_SCHEMA_VERSION,
            "student": self.student,
            "sources": self.sources,
            "fingerprint": self.fingerprint,
            "status": self.status,
            "reason": self.reason,
            "exit_code": self.exit_code,
            "graded_at": self.graded_at,
            "duration_s": _round(self.duration_s),
            # Instructor-only: the hidden tests' tracebacks help debug a grader error.
            "report": self.report.to_dict(details=True) if self.report else None,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "BatchEntry":
        report = data.get("report")
        return cls(
            student=data["student"],
            sources=list(data.get("sources", [])),
            fingerprint=data.get("fingerprint", ""),
            status=data["status"],
            reason=data.get("reason", ""),
            exit_code=data.get("exit_code"),
            graded_at=data.get("graded_at", ""),
            duration_s=data.get("duration_s", 0.0),
            report=GradeReport.from_dict(report) if report else None,
        )
