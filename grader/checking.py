"""``grader check``: everything an instructor verifies before releasing the course.

- the stubs are generated from their sources (the reference modules) and current;
- stubs and solutions expose the same names and signatures;
- the student notebooks are in sync with their sources;
- the hidden suites give the solutions full marks and the stubs zero on every test, through
  the same sandboxed path as any submission;
- the solved notebook runs top to bottom and the student notebook runs up to its first
  unsolved exercise.
"""

import importlib
import inspect
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from torchgrade import events, notebooks, stubs
from torchgrade.course import Course, Homework, load_course
from torchgrade.grading import grade
from torchgrade.results import GradeReport


@dataclass
class CheckReport:
    """Results of ``grader check``: the two grading runs and every problem found."""

    solutions: GradeReport | None = None
    exercises: GradeReport | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(
    *,
    course: Course | None = None,
    seed: int | None = None,
    homeworks: list[str] | None = None,
    run_notebooks: bool = True,
    sandbox: str = "auto",
    progress: events.Progress = events.ignore,
) -> CheckReport:
    """Run every release check; problems are collected, not raised."""
    course = course or load_course()
    chosen = course.select(homeworks)
    ids = [h.id for h in chosen]
    report = CheckReport()
    for homework in chosen:
        progress(events.Step(f"{homework.id}: stubs, API and notebook sync"))
        stale = stubs.out_of_date(course, homework.id)
        report.problems += [stale] if stale else []
        report.problems += api_problems(homework)
        report.problems += _sync_problems(course, homework)
    for target in ("solutions", "exercises"):
        progress(events.Step(f"grading {target}/"))
        graded = grade(
            course=course,
            target=target,
            seed=seed,
            homeworks=ids,
            sandbox=sandbox,
            progress=progress,
        )
        setattr(report, target, graded)
        report.problems += _score_problems(graded, expect_full=target == "solutions")
    if run_notebooks:
        for homework in chosen:
            progress(events.Step(f"{homework.id}: running the notebooks"))
            report.problems += notebook_problems(course, homework.id)
    return report


def api_problems(homework: Homework) -> list[str]:
    """Differences between the public API of ``exercises/<hw>`` and ``solutions/<hw>``."""
    try:
        stubs = _public_api(importlib.import_module(f"exercises.{homework.id}"))
        solved = _public_api(importlib.import_module(f"solutions.{homework.id}"))
    except Exception as exc:  # the instructor's own modules failed to import
        return [f"{homework.id}: cannot import the modules: {type(exc).__name__}: {exc}"]
    problems = []
    for name in sorted(set(stubs) | set(solved)):
        if name not in stubs or name not in solved:
            where = "exercises" if name not in stubs else "solutions"
            problems.append(f"{homework.id}: {name} is missing from {where}/")
        elif stubs[name] != solved[name]:
            problems.append(
                f"{homework.id}: {name} differs: stub {stubs[name]} vs solution {solved[name]}"
            )
    for name in homework.exercises:
        if name not in stubs:
            problems.append(f"{homework.id}: exercise {name} (course.toml) is not defined")
    return problems


def _public_api(module) -> dict[str, str]:
    """Public names defined in ``module`` -> their signature(s), as comparable text."""
    api = {}
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(obj):
            methods = {
                m: str(inspect.signature(f))
                for m, f in vars(obj).items()
                if inspect.isfunction(f) and (not m.startswith("_") or m == "__init__")
            }
            api[name] = f"class {sorted(methods.items())}"
        elif callable(obj):
            api[name] = str(inspect.signature(obj))
    return api


def _sync_problems(course: Course, homework: Homework) -> list[str]:
    try:
        stale = notebooks.out_of_date(course, homework.id)
    except (notebooks.NotebookSourceError, OSError) as exc:
        return [f"{homework.id}: notebook cannot be built: {exc}"]
    return [stale] if stale else []


def _score_problems(report: GradeReport, *, expect_full: bool) -> list[str]:
    target = "solutions" if expect_full else "exercises"
    problems = [f"{target}: {n}" for h in report.homeworks for n in h.notes]
    for homework in report.homeworks:
        for test in homework.tests:
            bad = test.outcome != "passed" if expect_full else test.outcome == "passed"
            if bad or test.outcome == "error":
                detail = test.message.splitlines()[0] if test.message else test.outcome
                problems.append(
                    f"{target}: {homework.id} {test.section} {test.name} {test.outcome}: {detail}"
                )
        for section in homework.sections:
            problems += [
                f"{target}: {homework.id} {section.id}: {p}"
                for p in section.problems
                if expect_full
            ]
    return problems


def notebook_problems(course: Course, homework_id: str) -> list[str]:
    """Run both notebooks: the solved one must finish, the student one must stop at a stub."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="notebooks-") as folder:
        for solved in (True, False):
            try:
                notebook = notebooks.build_notebook(course, homework_id, solved=solved)
            except (notebooks.NotebookSourceError, OSError) as exc:
                return [f"{homework_id}: notebook cannot be built: {exc}"]
            failure = notebooks.execute(notebook, cwd=Path(folder))
            kind = "solved" if solved else "student"
            if solved and failure:
                problems.append(
                    f"{homework_id}: the solved notebook failed: {failure[0]}: {failure[1]}"
                )
            if not solved and (failure is None or failure[0] != "NotImplementedError"):
                what = (
                    "ran to the end"
                    if failure is None
                    else f"failed with {failure[0]}: {failure[1]}"
                )
                problems.append(
                    f"{homework_id}: the {kind} notebook should stop at the first "
                    f"unsolved exercise but {what}"
                )
    return problems
