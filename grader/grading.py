"""Grading one submission: load it, run it in a sandbox, run the hidden suites, collect scores.

This is the library behind ``grader grade``; every option is keyword-only and the result is
a plain :class:`~torchgrade.results.GradeReport`, rendered elsewhere.
"""

import contextlib
import importlib
import io
import os
import secrets
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import torch

from torchgrade import events
from torchgrade.cells import Marker
from torchgrade.course import Course, Homework, SuiteError, load_course
from torchgrade.integrity import scan
from torchgrade.plugin import GraderPlugin
from torchgrade.results import GradeReport, HomeworkResult, SectionResult
from torchgrade.rules import check_rules
from torchgrade.sandbox.inprocess import InProcessSandbox
from torchgrade.sandbox.lifecycle import Sandbox
from torchgrade.sandbox.policy import hidden_paths
from torchgrade.seeds import suite_secret
from torchgrade.specs import LoadResult, ModuleSpec, SandboxError
from torchgrade.submission import LoadedModule, Submission, SubmissionError, load_submission
from torchgrade.version import grader_version


@dataclass(frozen=True)
class Selection:
    """Which tests of which assignments one run grades."""

    homeworks: tuple[str, ...] = ()  # empty: every assignment the submission holds
    sections: tuple[str, ...] = ()  # empty: every section
    public_only: bool = False  # only the public tests (the notebook's self-check)


@dataclass
class _Run:
    """What every step of one grading run shares."""

    box: Any  # a Sandbox or InProcessSandbox
    course: Course
    seed: int
    selection: Selection
    progress: events.Progress


def grade(
    path: Path | str | None = None,
    *,
    course: Course | None = None,
    target: str | None = None,
    seed: int | None = None,
    public_only: bool = False,
    homeworks: list[str] | None = None,
    sections: list[str] | None = None,
    sandbox: str = "auto",
    progress: events.Progress = events.ignore,
) -> GradeReport:
    """Grade a submission and return the report.

    Args:
        path: a notebook, ``.py`` module, folder or zip.
        course: the course table (default: the bundled one).
        target: ``"solutions"`` or ``"exercises"``: grade that folder of the course instead.
        seed: the run's seed (default: random; printed in the report to reproduce the run).
        public_only: run only the public tests (the notebook self-check).
        homeworks: grade only these homework ids (a missing one scores 0 with a reason).
        sections: grade only these sections (``check("1.3")`` in a notebook).
        sandbox: ``"auto"``, ``"bubblewrap"``, ``"process"``, or ``"none"`` (in-process,
            instructor debugging only: not trustworthy). A self-check (``public_only``) on a
            system without ``fork`` (native Windows) runs in-process, and its report says so.
        progress: receives the :mod:`torchgrade.events` of loading and of each test.

    Raises:
        SubmissionError: nothing gradable at ``path``.
        SuiteError: a hidden suite is malformed (an instructor's problem).
    """
    course = course or load_course()
    started, clock = datetime.now(timezone.utc).isoformat(timespec="seconds"), time.monotonic()
    if target:
        path = course.root / target
    notes = []
    if sandbox == "auto" and public_only and not hasattr(os, "fork"):
        sandbox = "none"
        notes.append(SELF_CHECK_IN_PROCESS)
    selection = Selection(tuple(homeworks or ()), tuple(sections or ()), public_only)
    sandbox_cls = InProcessSandbox if sandbox == "none" else Sandbox
    box = sandbox_cls(
        limits=course.limits, hide=hidden_paths(course.suites_dir, course.root), method=sandbox
    )
    threads = torch.get_num_threads()
    # The reference runs single-threaded, like the workers: small models are faster so, and
    # its results do not depend on the machine's core count.
    torch.set_num_threads(1)
    try:
        with box:
            box.start()  # the sandbox warms up while we read the submission and the suite
            _warm_up_trusted_side()
            submission = load_submission(path, course)
            seed = secrets.randbelow(2**31 - 1) if seed is None else seed
            report = _grade(_Run(box, course, seed, selection, progress), submission)
    finally:
        torch.set_num_threads(threads)
    report.started, report.duration_s = started, time.monotonic() - clock
    report.notes = notes + report.notes
    return report


SELF_CHECK_IN_PROCESS = (
    "self-check in-process: this system has no fork (native Windows), so your code ran inside "
    "the checker, unisolated; that is fine for checking your own work, and the real grading "
    "runs sandboxed"
)


def _grade(run: _Run, submission: Submission) -> GradeReport:
    course, selection = run.course, run.selection
    # Named assignments (a missing one scores 0 with a reason), else those the submission holds.
    held = [h for h in course.homeworks if h.id in submission.modules]
    wanted = course.select(selection.homeworks) if selection.homeworks else held
    if selection.sections:
        wanted = [h for h in wanted if any(s.id in selection.sections for s in h.sections)]
        if not wanted:
            raise SubmissionError(
                f"no assignment of the submission has section(s) {', '.join(selection.sections)}"
            )
    loaded, fatal = _load(run, submission, wanted)
    results = [_grade_homework(run, h, submission.modules.get(h.id), loaded, fatal) for h in wanted]
    return GradeReport(
        submission=str(submission.path),
        seed=run.seed,
        homeworks=results,
        isolation=run.box.isolation.as_dict(),
        started="",
        duration_s=0.0,
        grader_version=grader_version(),
        public_only=selection.public_only,
        notes=submission.notes,
    )


def _warm_up_trusted_side() -> None:
    """Import torch._dynamo in the background: the first optimizer the reference solutions
    create imports it (seconds), and the grader would otherwise wait for it mid-suite."""
    if "torch._dynamo" not in sys.modules:
        threading.Thread(
            target=importlib.import_module, args=("torch._dynamo",), daemon=True
        ).start()


def _load(
    run: _Run, submission: Submission, wanted: list[Homework]
) -> tuple[LoadResult | None, str]:
    """Execute the submission's cells once in the sandbox's template."""
    specs = []
    for homework in wanted:
        module = submission.modules.get(homework.id)
        if module is not None and "*" not in module.problems:
            expect = [n for n in homework.exercises if n not in module.problems]
            specs.append(ModuleSpec(homework.id, module.cells, expect))
    try:
        on_cell = lambda m, key: run.progress(events.CellLoading(m, key))  # noqa: E731
        result = run.box.load(specs, on_cell=on_cell)
    except SandboxError as exc:
        return None, f"the submission could not be loaded in the sandbox: {exc}"
    return result, ""


def _grade_homework(
    run: _Run,
    homework: Homework,
    module: LoadedModule | None,
    loaded: LoadResult | None,
    fatal: str,
) -> HomeworkResult:
    notes = list(module.notes) if module else []
    problems, broken = _problems(homework, module, loaded, fatal, notes)
    chosen = [
        s for s in homework.sections if s.id in run.selection.sections or not run.selection.sections
    ]
    plugin = GraderPlugin(
        course=run.course,
        homework=homework,
        spawn=run.box.spawn,
        section_problems=problems,
        exercise_problems={homework.id: broken},
        modules={homework.id},
        seed=run.seed,
        secret=suite_secret(run.course.suite_dir(homework.id), homework.id),
        limits=run.course.limits,
        public_only=run.selection.public_only,
        sections={s.id for s in chosen},
        progress=run.progress,
    )
    run.progress(events.SuiteStarted(homework.id))
    _run_pytest(run.course.suite_dir(homework.id), plugin)
    plugin.collect_outputs()
    # A forbidden op seen at run time costs the exercise, as the static rule would.
    observed = plugin.dispatch.apply(plugin.results)
    sections = [SectionResult(s.id, s.title, s.points) for s in chosen]
    by_id = {s.id: s for s in sections}
    for result in plugin.results.values():
        by_id[result.section].tests.append(result)
    for section_id, reason in problems.items():
        if section_id in by_id:
            by_id[section_id].problems.append(reason)
    for name, reason in {**observed, **broken}.items():  # the section's reason; tests decide
        section_id = homework.section_of(name).id if name in homework.exercises else None
        if section_id in by_id:
            by_id[section_id].problems.append(reason)
    return HomeworkResult(
        id=homework.id,
        title=homework.title,
        origin=module.origin if module else "",
        sections=sections,
        notes=notes,
        load_output=loaded.output if loaded else "",
        flags=[*(scan(module.cells) if module else []), *plugin.dispatch.flags],
    )


def _problems(
    homework: Homework,
    module: LoadedModule | None,
    loaded: LoadResult | None,
    fatal: str,
    notes: list[str],
) -> tuple[dict[str, str], dict[str, str]]:
    """Why sections cannot be graded at all, and why single exercises cannot.

    A submission without this homework, or one that cannot be loaded at all, costs every
    section. A cell that is missing, unparsable, crashes or hangs at import, does not define its
    name, or uses a forbidden API costs the tests that touch that exercise (and, through the
    student's own calls, the exercises that use it), never its independent siblings.
    """
    if module is None:
        reason = f"no {homework.id} notebook or module in the submission"
        return {s.id: reason for s in homework.sections}, {}
    whole = module.problems.get("*") or fatal
    if whole:
        return {s.id: whole for s in homework.sections}, {}
    errors = loaded.errors.get(homework.id, {}) if loaded else {}
    missing = loaded.missing.get(homework.id, []) if loaded else []
    if "imports" in errors:
        notes.append("the IMPORTS cell failed: " + _describe(errors["imports"]))
    by_exercise = dict(module.problems)
    for name in homework.exercises:
        marker = f"`{Marker('exercise', name, homework.section_of(name).id).line()}`"
        if name in by_exercise:
            continue
        if name in errors:
            by_exercise[name] = f"the cell {marker} failed while loading: {_describe(errors[name])}"
        elif name in missing:
            by_exercise[name] = f"the cell {marker} ran but did not define `{name}`"
    banned = {name: v.message() for name, v in check_rules(module.cells, homework).items()}
    return {}, {**banned, **by_exercise}


def _describe(error: dict) -> str:
    text = f"{error.get('type', 'Error')}: {error.get('message', '')}".rstrip(": ")
    if error.get("type") == "WorkerFailure":
        text = error.get("message", "")
    trace = error.get("traceback", "").rstrip()
    return f"{text}\n{trace}" if trace else text


def _forget_suite_modules(suite: Path) -> None:
    """Drop the suite's test modules from ``sys.modules`` once it ran.

    pytest's importlib mode names a test module after its path under the rootdir and reuses a
    module already imported under that name: another course's suite of the same layout (a
    course kept elsewhere, a test's small course) would otherwise run in its place.
    """
    root = suite.resolve()
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path and root in Path(path).resolve().parents:
            del sys.modules[name]


def _run_pytest(suite: Path, plugin: GraderPlugin) -> None:
    """Run one hidden suite in this process with the plugin; pytest's own output is hidden."""
    if not suite.is_dir():
        raise SuiteError(f"no hidden suite at {suite}")
    # No cache, no assertion rewriting (feedback is the assertion's own message, never the
    # test's source), no unraisable-exception plugin (two full gc passes per run).
    args = [
        str(suite),
        "--rootdir",
        str(suite),
        "-c",
        os.devnull,
        "-q",
        "--assert=plain",
        "--import-mode=importlib",
        "-o",
        "python_files=test_*.py",
    ]
    args += ["-p", "no:cacheprovider", "-p", "no:unraisableexception"]
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            code = pytest.main(args, plugins=[plugin])
    finally:
        _forget_suite_modules(suite)
    if plugin.suite_errors:
        raise SuiteError("\n".join(plugin.suite_errors))
    fine = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED)
    if code not in fine:
        tail = captured.getvalue()[-4000:]
        raise SuiteError(f"pytest could not run {suite} (exit {int(code)}):\n{tail}")
