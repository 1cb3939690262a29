"""The pytest plugin that runs a hidden suite against one submission.

It registers the ``points``, ``section``, ``public`` and ``timeout`` markers, refuses a suite
whose tests lack a section or points or whose points do not add up to the course table,
provides the ``student``, ``ref``, ``seed`` and ``worker_seed`` fixtures, and turns each
test's outcome into a :class:`~torchgrade.results.TestResult`. pytest and every assertion run in
this (trusted) process; the submission runs in the sandbox's workers.
"""

import os
import re
from collections import defaultdict
from collections.abc import Callable
from types import SimpleNamespace

import pytest

from torchgrade import events, seeds
from torchgrade.course import Course, Homework, Limits, SuiteError
from torchgrade.dispatch_log import DispatchLog
from torchgrade.protocol import DataOp, data_request
from torchgrade.remote import (
    ExerciseOutOfTime,
    ExerciseUnavailable,
    StudentError,
    StudentProxy,
    Withholding,
)
from torchgrade.results import TestResult
from torchgrade.specs import OUT_OF_TIME, OutOfTime, SandboxError, WorkerFailure

MARKERS = {
    "points(n)": "points the test is worth (required)",
    "section(id)": "the course section the test belongs to (required; usually via pytestmark)",
    "public": "shipped to students and run by the notebook's self-check",
    "timeout(seconds)": "CPU-time limit for this test, all calls into the worker included "
    "(the wall-clock backstop is the course's wall_factor times it)",
}


def test_seed(run_seed: int, nodeid: str, secret: bytes) -> int:
    """The data seed of one test (the ``seed`` fixture): fixed by the run's seed, the test's id
    and the assignment's secret (:mod:`torchgrade.seeds`), not by test order; never sent to the
    worker. The worker's own seed is :func:`torchgrade.seeds.worker_seed`."""
    return seeds.data_seed(run_seed, nodeid, secret)


# Set to 1 for a fresh worker for every test, as before workers were reused within a section
# (slower; for comparison, bench/batch.py --worker-per-test, and for debugging).
WORKER_PER_TEST_ENV = "TORCHGRADE_WORKER_PER_TEST"


def resolve_timeout(item: pytest.Item, limits: Limits) -> float:
    """A test's CPU-time limit: its ``timeout`` marker, else the course's default."""
    marker = item.get_closest_marker("timeout")
    if marker and marker.args:
        return float(marker.args[0])
    return float(limits.test_timeout_s)


class GraderPlugin:
    """Fixtures and bookkeeping for one homework's suite run.

    Args:
        course: the course (its reference solutions are the ``ref`` fixture).
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
        course: Course,
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
        self.course = course
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
        # nodeid -> the worker's output, where the test's part starts, and ends (None: the end)
        self.outputs: dict[str, tuple[object, int, int | None]] = {}
        self.idle: tuple[str | None, object] | None = None  # (section, worker) kept for reuse
        self.dispatch = DispatchLog(homework)  # forbidden ops seen at run time, tampering
        self.suite_errors: list[str] = []
        self.workers: dict[str, object] = {}  # nodeid -> its worker (a Channel), while it runs
        # module -> exercise -> why it is not run again: it ran out of time in an earlier test.
        self.out_of_time: dict[str, dict[str, str]] = {}
        self.retries: set[str] = set()  # tests to run again in a fresh worker (backstop)
        self.retried: set[str] = set()  # tests that had their one retry

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
            **{self.homework.id: self.course.import_module("solutions", self.homework.id)}
        )

    @pytest.fixture
    def student(self, request: pytest.FixtureRequest, seed: int, worker_seed: int):
        nodeid, section = request.node.nodeid, _section(request.node)
        if section in self.section_problems:
            pytest.fail(self.section_problems[section], pytrace=False)
        limit = resolve_timeout(request.node, self.limits)
        worker = self._worker_for(section, limit)
        self.workers[nodeid] = worker
        start = worker.output.mark()
        # Seed torch, numpy and random in the worker: the student's own randomness is fixed,
        # by a seed from which the test's data seed does not follow (torchgrade.seeds).
        worker.request(data_request(DataOp.SEED, value=worker_seed))
        # Record the torch ops this section's exercises dispatch (torchgrade.worker.dispatch).
        worker.request(data_request(DataOp.WATCH, forbid=self.dispatch.rules_for(section)))
        # Refuse any request that carries the data seed (a suite bug: remote.Withholding).
        proxy = StudentProxy(
            Withholding(worker, seed), self.modules, self.exercise_problems, self.out_of_time
        )
        yield proxy
        end = None
        try:
            self.dispatch.read(nodeid, worker, proxy.touched)
            if self._passed(nodeid) and worker.status is None and not proxy.wrote:
                end = worker.output.mark()
                self.idle = (section, worker)
            else:
                worker.close()
        finally:
            self.workers.pop(nodeid, None)
            # Read later (collect_outputs): the worker is still being ended, and waiting for
            # its pipe to close here would put that on every test's clock.
            self.outputs[nodeid] = (worker.output, start, end)

    def _worker_for(self, section: str | None, seconds: float):
        """A worker for a test of ``section`` with ``seconds`` of CPU time, started.

        Forking and ending a worker costs about as much CPU as a typical test, so the worker
        of a test that passed serves the next test of the same section, reset to what a fresh
        one is (:meth:`torchgrade.worker.server.Server.op_reset`) while its lifetime CPU
        ceiling allows. Any other test, and every test after a failure, a crash, a time limit
        or a change the grader made to the submission (``use_trusted_*``: remote.WriteWatch),
        gets a fresh worker: a mistake or an attack never reaches another section.
        """
        idle, self.idle = self.idle, None
        if idle is not None:
            idle_section, worker = idle
            reuse = os.environ.get(WORKER_PER_TEST_ENV) != "1"
            if reuse and idle_section == section and worker.fits(seconds):
                worker.start_clock(seconds)
                try:
                    answer, _ = worker.request(data_request(DataOp.RESET))
                    if answer.get("ok") is True:
                        return worker
                except (WorkerFailure, OutOfTime):
                    pass
            worker.close()
        try:
            worker = self.spawn()
        except SandboxError as exc:
            pytest.fail(f"could not start a worker for this test: {exc}", pytrace=False)
        worker.start_clock(seconds)
        return worker

    def _passed(self, nodeid: str) -> bool:
        result = self.results.get(nodeid)
        return result is not None and result.outcome == "passed" and nodeid not in self.retries

    def close_idle(self) -> None:
        """End the worker kept for a next test that did not come (at the end of the run)."""
        idle, self.idle = self.idle, None
        if idle is not None:
            idle[1].close()

    # ------------------------------------------------------------------ retries

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> bool:
        """Run a test; once more, in a fresh worker, if the wall-clock backstop stopped it.

        The backstop stops a worker that still had CPU time left: a machine too busy to give
        it any, or code that waits. A busy machine must not cost points, so the test gets a
        second try; only the second try's result counts.
        """
        from _pytest.runner import runtestprotocol

        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
        if item.nodeid in self.retries:
            self.retries.discard(item.nodeid)
            self.retried.add(item.nodeid)
            item._initrequest()  # fresh fixtures: a new worker, a new seed fixture
            reports = runtestprotocol(item, nextitem=nextitem, log=False)
        for report in reports:
            item.ihook.pytest_runtest_logreport(report=report)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    # ------------------------------------------------------------------ results

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        if report.when == "setup" and report.passed:
            return
        if report.when == "teardown":
            result = self.results.get(item.nodeid)
            if result is not None and item.nodeid not in self.retries:
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
        stop = getattr(self.workers.get(item.nodeid), "out_of_time", None)
        if stop is not None:  # whatever the test made of it: a time limit is never a pass
            passed, outcome, message = False, "error", self._ran_out(item, stop)
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

    def _ran_out(self, item: pytest.Item, stop: OutOfTime) -> str:
        """The message of a test whose worker ran out of time; remember what to blame.

        A first stop by the backstop earns a retry. Otherwise the exercise the test was
        calling (or, for a call into the grader's probes, those it passed along) is not run
        again: the later tests that touch it fail at once.
        """
        if stop.backstop and item.nodeid not in self.retried:
            self.retries.add(item.nodeid)
            return f"{stop} (retried in a fresh worker)"
        where = f" in {stop.calls[0]}" if stop.calls else ""
        if stop.backstop:
            message = (
                f"{stop}{where}, twice, each time in a fresh worker: the code waits instead "
                "of computing, or the machine was overloaded"
            )
        else:
            message = f"{stop}{where}"
        why = str(stop).removeprefix(f"{OUT_OF_TIME}: ").split(" (")[0]
        for module, name in self._blamed(stop.calls):
            self.out_of_time.setdefault(module, {})[name] = (
                f"{OUT_OF_TIME}: `{name}` already ran out of time in {item.name} ({why}); "
                "it is not called again"
            )
        return message

    def _blamed(self, calls: list[str]) -> list[tuple[str, str]]:
        """The exercises to blame for calls that ran out of time: the call in flight if it
        is an exercise's, else the exercises whose objects it was given."""
        found = [self._exercise_of(label) for label in calls]
        if found and found[0]:
            return [found[0]]
        return [e for e in found[1:] if e]

    def _exercise_of(self, label: str) -> tuple[str, str] | None:
        """``("hw1_basics", "bce_loss")`` for ``hw1_basics.bce_loss(...)`` and the objects it
        returned (``hw1_basics.LogisticRegression(...).w``); ``None`` for anything else."""
        match = re.match(r"(\w+)\.(\w+)", label)
        if match and match[1] == self.homework.id and match[2] in self.homework.exercises:
            return match[1], match[2]
        return None

    def collect_outputs(self) -> None:
        """Attach each test's captured student output to its result (after the run)."""
        self.close_idle()
        for nodeid, (reader, start, end) in self.outputs.items():
            if nodeid in self.results:
                self.results[nodeid].output = reader.text(start=start, end=end)
        self.outputs.clear()


# Errors no value from a submission can cause: a name, module or syntax the suite lacks.
_SUITE_BUGS = (NameError, ImportError, SyntaxError, pytest.UsageError, SuiteError)


def feedback(exc: BaseException, during_test: bool = True) -> tuple[str, str]:
    """The student-facing message of a failure, and who is to blame: ``student``, ``grader``
    or ``time limit`` (the last two make the test an ``error``).

    Never the hidden test's source: only an assertion's own message, the student's exception
    with the student's frames, or why the worker failed. An exception that escapes a test's
    own code while it runs (``during_test``) comes from the submission's value — None where a
    tensor was expected, an integer too large to format in the message — and counts against
    the submission: every hidden test passes on the reference (the corpus proves it), so only
    a suite bug no value can cause (:data:`_SUITE_BUGS`) or a fixture's is the grader's.
    """
    if isinstance(exc, StudentError):
        return exc.feedback(), "student"
    if isinstance(exc, (OutOfTime, ExerciseOutOfTime)):
        return str(exc), "time limit"
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
