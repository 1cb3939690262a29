"""The pytest plugin that runs a hidden suite against one submission.

It registers the ``points``, ``section``, ``public`` and ``timeout`` markers, refuses a suite
whose tests lack a section or points or whose points do not add up to the course table,
provides the ``student``, ``ref``, ``seed`` and ``worker_seed`` fixtures, and turns each
test's outcome into a :class:`~torchgrade.results.TestResult`. pytest and every assertion run in
this (trusted) process; the submission runs in the sandbox's workers.
"""

import importlib
from collections import defaultdict
from collections.abc import Callable
from types import SimpleNamespace

import pytest

from torchgrade import events, seeds
from torchgrade.course import Homework, Limits
from torchgrade.remote import ExerciseUnavailable, StudentError, StudentProxy
from torchgrade.results import TestResult
from torchgrade.specs import SandboxError, WorkerFailure

MARKERS = {
    "points(n)": "points the test is worth (required)",
    "section(id)": "the course section the test belongs to (required; usually via pytestmark)",
    "public": "shipped to students and run by the notebook's self-check",
    "timeout(seconds)": "wall-clock limit for this test, all calls into the worker included",
}


def test_seed(run_seed: int, nodeid: str, secret: bytes) -> int:
    """The data seed of one test (the ``seed`` fixture): fixed by the run's seed, the test's id
    and the assignment's secret (:mod:`torchgrade.seeds`), not by test order; never sent to the
    worker. The worker's own seed is :func:`torchgrade.seeds.worker_seed`."""
    return seeds.data_seed(run_seed, nodeid, secret)


def resolve_timeout(item: pytest.Item, limits: Limits) -> float:
    """A test's wall-clock limit: its ``timeout`` marker, else the course's default."""
    marker = item.get_closest_marker("timeout")
    if marker and marker.args:
        return float(marker.args[0])
    return float(limits.test_timeout_s)


class GraderPlugin:
    """Fixtures and bookkeeping for one homework's suite run.

    Args:
        homework: the course's homework the suite grades.
        spawn: returns a fresh worker for one test, or raises why none can be had.
        section_problems: section id -> why that section cannot be graded at all.
        exercise_problems: module -> exercise -> why touching it fails (forbidden API).
        modules: the homework modules the worker holds.
        seed: the run's seed.
        secret: the assignment's data secret (:func:`torchgrade.seeds.suite_secret`).
        limits: the course's limits (default test timeout).
        public_only: run only ``public`` tests (self-check).
        sections: run only the tests of these sections (default: all).
        progress: receives :class:`~torchgrade.events.TestsCollected` and one
            :class:`~torchgrade.events.TestFinished` per test.
    """

    def __init__(
        self,
        *,
        homework: Homework,
        spawn: Callable,
        section_problems: dict[str, str],
        exercise_problems: dict[str, dict[str, str]],
        modules: set[str],
        seed: int,
        secret: bytes,
        limits: Limits,
        public_only: bool = False,
        sections: set[str] | None = None,
        progress: events.Progress = events.ignore,
    ):
        self.homework = homework
        self.spawn = spawn
        self.section_problems = section_problems
        self.exercise_problems = exercise_problems
        self.modules = modules
        self.seed_value = seed
        self.secret = secret
        self.limits = limits
        self.public_only = public_only
        self.sections = sections
        self.progress = progress
        self.results: dict[str, TestResult] = {}
        self.outputs: dict[str, object] = {}  # nodeid -> the worker's OutputReader
        self.suite_errors: list[str] = []

    # ------------------------------------------------------------------ configuration

    def pytest_configure(self, config: pytest.Config) -> None:
        for signature, help_text in MARKERS.items():
            config.addinivalue_line("markers", f"{signature}: {help_text}")

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        totals: dict[str, float] = defaultdict(float)
        errors = []
        for item in items:
            points, section = _points(item), _section(item)
            if points is None or section is None:
                errors.append(
                    f"{item.nodeid}: every test needs @pytest.mark.points(n) and a section"
                )
                continue
            if section not in {s.id for s in self.homework.sections}:
                errors.append(f"{item.nodeid}: section {section!r} is not in {self.homework.id}")
            if item.get_closest_marker("public") and "ref" in getattr(item, "fixturenames", ()):
                errors.append(
                    f"{item.nodeid}: a public test cannot use `ref` (students have no solutions)"
                )
            totals[section] += points
        if not self.public_only:
            for s in self.homework.sections:
                if abs(totals[s.id] - s.points) > 1e-9:
                    errors.append(
                        f"section {s.id}: tests are worth {totals[s.id]:g} points, "
                        f"course.toml says {s.points:g}"
                    )
        if errors:
            self.suite_errors = errors
            raise pytest.UsageError("malformed hidden suite:\n  " + "\n  ".join(errors))
        kept = [
            item
            for item in items
            if (not self.public_only or item.get_closest_marker("public"))
            and (self.sections is None or _section(item) in self.sections)
        ]
        if len(kept) < len(items):
            config.hook.pytest_deselected(items=[i for i in items if i not in kept])
            items[:] = kept
        self.progress(events.TestsCollected(self.homework.id, len(items)))

    # ------------------------------------------------------------------ fixtures

    @pytest.fixture
    def seed(self, request: pytest.FixtureRequest) -> int:
        """The test's data seed: its inputs and held-out data; never handed to the worker."""
        return test_seed(self.seed_value, request.node.nodeid, self.secret)

    @pytest.fixture
    def worker_seed(self, request: pytest.FixtureRequest) -> int:
        """The seed the worker is seeded with: the one to pass to student code."""
        return seeds.worker_seed(self.seed_value, request.node.nodeid, self.secret)

    @pytest.fixture
    def ref(self) -> SimpleNamespace:
        return SimpleNamespace(
            **{self.homework.id: importlib.import_module(f"solutions.{self.homework.id}")}
        )

    @pytest.fixture
    def student(self, request: pytest.FixtureRequest, worker_seed: int):
        section = _section(request.node)
        if section in self.section_problems:
            pytest.fail(self.section_problems[section], pytrace=False)
        try:
            worker = self.spawn()
        except SandboxError as exc:
            pytest.fail(f"could not start a worker for this test: {exc}", pytrace=False)
        worker.start_clock(resolve_timeout(request.node, self.limits))
        # Seed torch, numpy and random in the worker: the student's own randomness is fixed,
        # by a seed from which the test's data seed does not follow (torchgrade.seeds).
        worker.request({"op": "seed", "value": worker_seed})
        yield StudentProxy(worker, self.modules, self.exercise_problems)
        try:
            worker.close()
        finally:
            # Read later (collect_outputs): the worker is still being ended, and waiting for
            # its pipe to close here would put that on every test's clock.
            self.outputs[request.node.nodeid] = worker.output

    # ------------------------------------------------------------------ results

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        if report.when == "setup" and report.passed:
            return
        if report.when == "teardown":
            result = self.results.get(item.nodeid)
            if result is not None:
                self.progress(events.TestFinished(self.homework.id, result))
            return
        self.results[item.nodeid] = self._result(item, call, report)

    def _result(
        self, item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport
    ) -> TestResult:
        points = _points(item) or 0.0
        passed = report.passed
        message, outcome = "", "passed" if passed else "failed"
        if report.skipped:
            message, outcome = f"the test was skipped: {report.longrepr}", "error"
        elif not passed and call.excinfo is not None:
            message, blame = feedback(call.excinfo.value, during_test=call.when == "call")
            outcome = "failed" if blame == "student" else "error"
        return TestResult(
            id=item.nodeid,
            name=item.name,
            section=_section(item) or "",
            points=points,
            score=points if passed else 0.0,
            outcome=outcome,
            message=message,
            duration_s=report.duration,
            public=item.get_closest_marker("public") is not None,
            details="" if passed else str(report.longrepr),
        )

    def collect_outputs(self) -> None:
        """Attach each test's captured student output to its result (after the run)."""
        for nodeid, reader in self.outputs.items():
            if nodeid in self.results:
                self.results[nodeid].output = reader.text()
        self.outputs.clear()


# Errors no value from a submission can cause: a name, module or syntax the suite lacks.
_SUITE_BUGS = (NameError, ImportError, SyntaxError, pytest.UsageError)


def feedback(exc: BaseException, during_test: bool = True) -> tuple[str, str]:
    """The student-facing message of a failure, and who is to blame: student or grader.

    Never the hidden test's source: only an assertion's own message, the student's exception
    with the student's frames, or why the worker failed. An exception that escapes a test's
    own code while it runs (``during_test``) comes from the submission's value — None where a
    tensor was expected, an integer too large to format in the message — and counts against
    the submission: every hidden test passes on the reference (the corpus proves it), so only
    a suite bug no value can cause (:data:`_SUITE_BUGS`) or a fixture's is the grader's.
    """
    if isinstance(exc, StudentError):
        return exc.feedback(), "student"
    if isinstance(exc, (WorkerFailure, ExerciseUnavailable)):
        return str(exc), "student"
    if isinstance(exc, AssertionError):
        return _text(exc) or "a check failed", "student"
    if isinstance(exc, pytest.fail.Exception):
        return exc.msg, "student"
    if isinstance(exc, SandboxError):
        return f"could not run this test: {exc}", "grader"
    text = f"the grader could not check the result ({type(exc).__name__}: {_text(exc)})"
    if during_test and not isinstance(exc, _SUITE_BUGS):
        return f"{text}: your code returned a value of the wrong kind or size", "student"
    return text, "grader"


def _text(exc: BaseException, limit: int = 4000) -> str:
    """An exception's message, cut to ``limit``; never raises."""
    try:
        text = str(exc)
    except Exception:  # a message built from a value that cannot be shown
        return "(the message could not be shown)"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _points(item: pytest.Item) -> float | None:
    marker = item.get_closest_marker("points")
    if marker is None or not marker.args or not isinstance(marker.args[0], (int, float)):
        return None
    return float(marker.args[0])


def _section(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("section")
    return str(marker.args[0]) if marker and marker.args else None
