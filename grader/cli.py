"""The ``grader`` command: a thin layer over :mod:`grader.grading` and :mod:`grader.checking`.

Exit codes of ``grader grade``: 0 full marks, 1 graded with points lost, 2 not graded (an
unreadable submission, a malformed suite, a grader error). ``grader check``: 0 when every
release check passes, 1 otherwise.
"""

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from grader import notebooks
from grader.course import CourseError, load_course
from grader.plugin import SuiteError
from grader.report import FORMATS, render
from grader.report.table import renderable, score_text
from grader.submission import SubmissionError

EXIT_FULL, EXIT_LOST, EXIT_ERROR = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_ERROR
    try:
        return args.func(args)
    except (SubmissionError, SuiteError, CourseError, KeyError) as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}", highlight=False)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description=__doc__.splitlines()[0])
    parser.add_argument("--course", type=Path, help="course table (default: the bundled one)")
    commands = parser.add_subparsers(title="commands")

    grade = commands.add_parser("grade", help="grade a notebook, module, folder or zip")
    grade.add_argument("path", nargs="?", type=Path, help=".ipynb, .py, folder or .zip")
    grade.add_argument(
        "--target",
        choices=["solutions", "exercises"],
        help="grade the course's own solutions/ or exercises/ instead of PATH",
    )
    grade.add_argument("--seed", type=int, help="reproduce a run (the report prints its seed)")
    grade.add_argument("--format", default="table", choices=sorted(FORMATS))
    grade.add_argument("--output", type=Path, help="write the report here (the table still prints)")
    grade.add_argument("--homework", action="append", help="grade only this homework (repeatable)")
    grade.add_argument("--public", action="store_true", help="public tests only (self-check)")
    grade.add_argument("--sandbox", default="auto", choices=["auto", "bubblewrap", "process"])
    grade.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run the submission inside the grader: instructors' debugging only",
    )
    grade.set_defaults(func=cmd_grade)

    check = commands.add_parser("check", help="instructor: verify the course before release")
    check.add_argument("--seed", type=int)
    check.add_argument("--homework", action="append")
    check.add_argument("--no-notebooks", action="store_true", help="skip executing the notebooks")
    check.add_argument("--sandbox", default="auto", choices=["auto", "bubblewrap", "process"])
    check.set_defaults(func=cmd_check)

    build = commands.add_parser("notebooks", help="instructor: regenerate the student notebooks")
    build.add_argument("--homework", action="append")
    build.set_defaults(func=cmd_notebooks)
    return parser


def cmd_grade(args: argparse.Namespace) -> int:
    from grader.grading import grade

    if not args.path and not args.target:
        raise SubmissionError("give a PATH to grade, or --target solutions|exercises")
    console = Console(stderr=True)
    with _Progress(console) as progress:
        report = grade(
            args.path,
            course=load_course(args.course),
            target=args.target,
            seed=args.seed,
            public_only=args.public,
            homeworks=args.homework,
            sandbox="none" if args.no_sandbox else args.sandbox,
            progress=progress,
        )
    text = render(report, args.format)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    if args.output or args.format == "table":
        Console(highlight=False).print(renderable(report))
    else:
        sys.stdout.write(text)
    if report.errors:
        return EXIT_ERROR
    return EXIT_FULL if report.score == report.max_points else EXIT_LOST


def cmd_check(args: argparse.Namespace) -> int:
    from grader.checking import check

    console = Console(highlight=False)
    with _Progress(Console(stderr=True)) as progress:
        result = check(
            course=load_course(args.course),
            seed=args.seed,
            homeworks=args.homework,
            run_notebooks=not args.no_notebooks,
            sandbox=args.sandbox,
            progress=progress,
        )
    for title, report in (
        ("solutions/ (must be full marks)", result.solutions),
        ("exercises/ (must be zero)", result.exercises),
    ):
        console.rule(title)
        console.print(renderable(report))
    console.rule("check")
    for problem in result.problems:
        console.print(f"[red]✗[/red] {problem}", markup=True)
    if result.ok:
        solutions, exercises = result.solutions, result.exercises
        console.print(
            f"[green]✓[/green] solutions {score_text(solutions.score, solutions.max_points)}, "
            f"exercises {score_text(exercises.score, exercises.max_points)}, "
            "APIs match, notebooks in sync" + ("" if args.no_notebooks else " and run")
        )
    return 0 if result.ok else 1


def cmd_notebooks(args: argparse.Namespace) -> int:
    course = load_course(args.course)
    for homework_id in args.homework or [h.id for h in course.homeworks]:
        print(notebooks.write_notebook(course, homework_id))
    return 0


class _Progress:
    """A progress display on stderr: a live bar on a terminal, a line per stage otherwise."""

    def __init__(self, console: Console):
        self.console = console
        self.live = console.is_terminal
        self.bar = None
        self.task = None

    def __enter__(self) -> Callable[..., None]:
        if self.live:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=self.console,
                transient=True,
            )
            self.bar.start()
        return self.update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def update(self, event: str, **info: object) -> None:
        if event == "step":
            self._line(str(info["name"]))
        elif event == "load" and self.bar is not None:
            self._describe(f"loading {info['module']}: {info['cell']}")
        elif event == "collected":
            self._line(f"{info['homework']}: {info['total']} tests")
            if self.bar is not None:
                self.task = self.bar.add_task(str(info["homework"]), total=info["total"])
        elif event == "test" and self.bar is not None and self.task is not None:
            self.bar.advance(self.task)

    def _describe(self, text: str) -> None:
        if self.task is None:
            self.task = self.bar.add_task(text, total=None)
        self.bar.update(self.task, description=text)

    def _line(self, text: str) -> None:
        if self.bar is not None:
            if self.task is not None:
                self.bar.remove_task(self.task)
                self.task = None
            self.bar.console.print(f"[dim]{text}[/dim]")
        else:
            print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
