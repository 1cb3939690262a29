"""The ``grader`` command: a thin layer over the library's keyword-only functions.

Exit codes:

- ``grader grade PATH`` and ``grader report FILE``: 0 full marks, 1 graded with points lost,
  2 not graded (an unreadable submission, a malformed suite, a grader error).
- ``grader batch SOURCES... --csv FILE``: 0 every submission was graded (whatever
  its score), 3 the gradebook was written but some submissions could not be graded (their
  rows say why), 2 nothing to grade or bad arguments.
- ``grader gradebook --csv FILE``: 0 written, 2 no saved results or an unreadable roster or
  exam file.
- ``grader check``: 0 when every release check passes, 1 otherwise.
- ``grader release``: 0 the bundle is written and the leak scan found nothing, 1 the leak
  scan found a solution body or a hidden test name (listed; do not distribute the bundle),
  2 the bundle could not be built.
- ``grader init-ci`` and ``grader gradescope-bundle``: 0 written, 2 refused (a file exists,
  bad arguments).
"""

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from torchgrade import notebooks, stubs
from torchgrade.course import Course, load_course
from torchgrade.errors import ExitCode, GraderError
from torchgrade.progress import BatchProgress, GradeProgress
from torchgrade.report import FORMATS, render
from torchgrade.report.table import renderable, score_text
from torchgrade.submission import SubmissionError

HELP_EPILOG = """\
students:
  grader grade hw1_basics.ipynb --public     check your notebook with the public tests
  grader grade hw1_basics.ipynb --public --section 1.3    only section 1.3

instructors:
  grader check                               verify the course before a release
  grader grade SUBMISSION                    grade one notebook, module, folder or zip
  grader batch submissions/ --csv book.csv   grade a class into a gradebook

exit status: 0 full marks (or all public tests passed), 1 points lost, 2 not graded
(the message says why), 3 a batch left some submissions ungraded.
"""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return ExitCode.NOT_GRADED
    try:
        return int(args.func(args))
    except GraderError as exc:  # the user's to fix: the message says what; no traceback
        Console(stderr=True).print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        return exc.exit_code
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except Exception:  # a bug of the grader: say so, never pass it off as a score
        Console(stderr=True).print_exception()
        Console(stderr=True).print(
            "[red]grader error:[/red] this is a bug of the grader, not of the submission; "
            "nothing was graded (exit 2)",
            highlight=False,
        )
        return ExitCode.NOT_GRADED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grader",
        description="torchgrade: grade the PyTorch course's notebooks. Your code runs in a "
        "sandbox; the score comes from hidden (or, for a self-check, public) tests.",
        epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--course", type=Path, help="course table (default: the bundled one)")
    commands = parser.add_subparsers(title="commands")

    grade = commands.add_parser("grade", help="grade one notebook, module, folder or zip")
    grade.add_argument("path", nargs="?", type=Path, help=".ipynb, .py, folder or .zip")
    grade.add_argument(
        "--target",
        choices=["solutions", "exercises"],
        help="grade the course's own solutions/ or exercises/ instead of PATH",
    )
    grade.add_argument("--seed", type=int, help="reproduce a run (the report prints its seed)")
    grade.add_argument(
        "--format",
        default="table",
        choices=list(FORMATS),
        help="table, json (docs/reports.md), gradescope (results.json), junit (XML), github "
        "(Classroom's reporter; also sets the step output and job summary under Actions)",
    )
    grade.add_argument("--output", type=Path, help="write the report here (the table still prints)")
    grade.add_argument("--homework", action="append", help="grade only this homework (repeatable)")
    grade.add_argument("--public", action="store_true", help="public tests only (self-check)")
    grade.add_argument(
        "--section", action="append", help="grade only this section, e.g. 1.3 (repeatable)"
    )
    grade.add_argument("--sandbox", default="auto", choices=["auto", "bubblewrap", "process"])
    grade.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run the submission inside the grader: instructors' debugging only",
    )
    grade.set_defaults(func=cmd_grade)

    batch = commands.add_parser(
        "batch", help="instructor: grade a whole class into a gradebook (CSV)"
    )
    batch.add_argument(
        "sources", nargs="+", help="folders whose entries are submissions, or glob patterns"
    )
    batch.add_argument("--csv", type=Path, required=True, help="the gradebook to write")
    batch.add_argument("--jobs", type=int, default=1, help="grader processes at once")
    batch.add_argument("--force", action="store_true", help="regrade already graded students")
    batch.add_argument(
        "--reports", type=Path, help="per-student results (default: <csv name>_reports/)"
    )
    batch.add_argument(
        "--timeout", type=float, default=1800, help="seconds allowed per student (default 1800)"
    )
    batch.add_argument("--homework", action="append", help="grade only this assignment")
    batch.add_argument("--seed", type=int, help="reproduce a run")
    batch.add_argument("--sandbox", default="auto", choices=["auto", "bubblewrap", "process"])
    _gradebook_options(batch)
    batch.set_defaults(func=cmd_batch)

    book = commands.add_parser(
        "gradebook",
        help="instructor: rebuild a batch's gradebook from its saved results, with a roster "
        "and exam points, without regrading",
    )
    book.add_argument("--csv", type=Path, required=True, help="the gradebook to (re)write")
    book.add_argument(
        "--reports", type=Path, help="the batch's per-student results (default: <csv>_reports/)"
    )
    book.add_argument("--homework", action="append", help="only these assignments' columns")
    _gradebook_options(book)
    book.set_defaults(func=cmd_gradebook)

    report = commands.add_parser("report", help="render a saved JSON report in another format")
    report.add_argument("file", type=Path, help="a JSON report, or a batch's per-student file")
    report.add_argument("--format", default="table", choices=list(FORMATS))
    report.add_argument("--output", type=Path)
    report.set_defaults(func=cmd_report)

    release = commands.add_parser(
        "release", help="instructor: build the student bundle and prove nothing secret leaked"
    )
    release.add_argument("outdir", type=Path)
    release.add_argument("--homework", action="append", help="release only this homework")
    release.add_argument("--force", action="store_true", help="replace an existing OUTDIR")
    release.add_argument(
        "--scan-only", action="store_true", help="only run the leak scan on an existing OUTDIR"
    )
    release.set_defaults(func=cmd_release)

    init_ci = commands.add_parser(
        "init-ci", help="instructor: write a CI workflow that grades a student repository"
    )
    init_ci.add_argument("provider", choices=["github", "gitlab"])
    init_ci.add_argument("--dest", type=Path, default=Path("."), help="repository root")
    init_ci.add_argument("--homework", help="the homework the repository holds")
    init_ci.add_argument(
        "--grader-repo",
        help="where CI installs the grader with its hidden tests from (a private repository: "
        "OWNER/NAME on GitHub, a full URL on GitLab)",
    )
    init_ci.add_argument("--grader-ref", default="main", help="branch or tag of that repository")
    init_ci.add_argument("--force", action="store_true", help="replace an existing file")
    init_ci.set_defaults(func=cmd_init_ci)

    gradescope = commands.add_parser(
        "gradescope-bundle", help="instructor: build the autograder zip Gradescope runs"
    )
    gradescope.add_argument("zip", type=Path, help="the zip to write")
    gradescope.add_argument("--homework", help="the homework of the Gradescope assignment")
    gradescope.add_argument("--force", action="store_true", help="replace an existing zip")
    gradescope.set_defaults(func=cmd_gradescope_bundle)

    check = commands.add_parser("check", help="instructor: verify the course before release")
    check.add_argument("--seed", type=int)
    check.add_argument("--homework", action="append")
    check.add_argument("--no-notebooks", action="store_true", help="skip executing the notebooks")
    check.add_argument("--sandbox", default="auto", choices=["auto", "bubblewrap", "process"])
    check.set_defaults(func=cmd_check)

    stubs_cmd = commands.add_parser(
        "stubs", help="instructor: regenerate exercises/ from the reference modules in solutions/"
    )
    stubs_cmd.add_argument("--homework", action="append")
    stubs_cmd.set_defaults(func=cmd_stubs)

    build = commands.add_parser("notebooks", help="instructor: regenerate the student notebooks")
    build.add_argument("--homework", action="append")
    build.set_defaults(func=cmd_notebooks)
    return parser


def _gradebook_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--roster", type=Path, help="class list CSV: id, and any of name, email, github, login"
    )
    parser.add_argument(
        "--exam", type=Path, help="exam points CSV: student (or id), exam (or points)"
    )


def _extras(args: argparse.Namespace, course: Course):
    """The roster and exam points named on the command line, read before any grading."""
    from torchgrade.gradebook import Extras
    from torchgrade.roster import load_exam, load_roster

    return Extras(
        roster=load_roster(args.roster) if args.roster else None,
        exam=load_exam(args.exam, course.exam_points) if args.exam else None,
    )


def _prestart_sandbox(course: Course, method: str) -> None:
    """Start the sandbox before importing torch here: both warm-ups then share the cores."""
    from torchgrade.sandbox.lifecycle import prestart
    from torchgrade.sandbox.policy import hidden_paths
    from torchgrade.specs import SandboxError

    try:
        prestart(method, hidden_paths(course.suites_dir, course.root))
    except SandboxError:
        pass  # grading reports it properly


def cmd_grade(args: argparse.Namespace) -> int:
    if not args.path and not args.target:
        raise SubmissionError("give a PATH to grade, or --target solutions|exercises")
    course = load_course(args.course)
    if not args.no_sandbox:
        _prestart_sandbox(course, args.sandbox)
    from torchgrade.grading import grade
    from torchgrade.release import is_student_bundle

    # A student bundle ships only the public tests: every run there is a self-check.
    public = args.public or is_student_bundle(course)
    console = Console(stderr=True)
    with GradeProgress(console) as progress:
        report = grade(
            args.path,
            course=course,
            target=args.target,
            seed=args.seed,
            public_only=public,
            homeworks=args.homework,
            sections=args.section,
            sandbox="none" if args.no_sandbox else args.sandbox,
            progress=progress,
        )
    return _emit(report, args.format, args.output)


def _emit(report, fmt: str, output: Path | None) -> int:
    """Print or write ``report`` in ``fmt``; the exit code its score means."""
    text = render(report, fmt)
    if output:
        output.write_text(text, encoding="utf-8")
    if output or fmt == "table":
        Console(highlight=False).print(renderable(report))
    else:
        sys.stdout.write(text)
    if fmt == "github":
        from torchgrade.report import github

        github.publish(report, os.environ)
    return report.exit_code


def cmd_batch(args: argparse.Namespace) -> int:
    from torchgrade.batch import grade_batch

    course = load_course(args.course)
    extras = _extras(args, course)
    console = Console(stderr=True)
    with BatchProgress(console) as progress:
        result = grade_batch(
            args.sources,
            course=course,
            csv_path=args.csv,
            reports_dir=args.reports,
            jobs=args.jobs,
            force=args.force,
            homeworks=args.homework,
            seed=args.seed,
            sandbox=args.sandbox,
            timeout_s=args.timeout,
            extras=extras,
            progress=progress,
        )
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}", highlight=False)
    if not result.entries:
        raise SubmissionError("no submission found in " + ", ".join(args.sources))
    failed = result.not_graded
    for entry in failed:
        console.print(
            f"[red]not graded:[/red] {escape(entry.student)}: {escape(entry.reason)}",
            highlight=False,
            soft_wrap=True,
        )
    _unmatched_note(console, extras)
    console.print(
        f"{len(result.graded)} graded now, {len(result.skipped)} already graded (skipped; --force "
        f"regrades), {len(failed)} not graded → {result.csv} (reports: {result.reports_dir})",
        highlight=False,
        soft_wrap=True,
    )
    return ExitCode.BATCH_INCOMPLETE if failed else ExitCode.FULL


def cmd_gradebook(args: argparse.Namespace) -> int:
    from torchgrade import gradebook
    from torchgrade.batch import default_reports_dir

    course = load_course(args.course)
    extras = _extras(args, course)
    reports = args.reports or default_reports_dir(args.csv)
    entries = gradebook.load_entries(reports)
    if not entries:
        raise SubmissionError(f"no saved results in {reports}: run `grader batch` first")
    path = gradebook.write(args.csv, entries, course, args.homework, extras)
    console = Console(stderr=True)
    _unmatched_note(console, extras)
    console.print(f"{len(entries)} students → {path}", highlight=False)
    return ExitCode.FULL


def _unmatched_note(console: Console, extras) -> None:
    if extras.unmatched:
        names = ", ".join(sorted(extras.unmatched))
        console.print(
            f"[yellow]note:[/yellow] not in the roster (flagged): {escape(names)}",
            highlight=False,
            soft_wrap=True,
        )


def cmd_report(args: argparse.Namespace) -> int:
    import json

    from torchgrade.results import GradeReport

    try:
        data = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SubmissionError(f"cannot read {args.file}: {exc}") from exc
    if "batch_schema_version" in data:  # a batch's per-student file
        if not data.get("report"):
            raise SubmissionError(f"{data['student']} was not graded: {data.get('reason')}")
        data = data["report"]
    return _emit(GradeReport.from_dict(data), args.format, args.output)


def cmd_release(args: argparse.Namespace) -> int:
    from torchgrade.release import build_release, scan_release

    course = load_course(args.course)
    console = Console(highlight=False)
    if args.scan_only:
        leaks, notes = scan_release(args.outdir, course=course), []
    else:
        result = build_release(
            args.outdir, course=course, homeworks=args.homework, force=args.force
        )
        leaks, notes = result.leaks, result.notes
        for path in result.files:
            console.print(f"[dim]{escape(str(path))}[/dim]")
    for note in notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")
    if leaks:
        for leak in leaks:
            console.print(f"[red]LEAK[/red] {escape(str(leak))}")
        console.print(
            f"[red bold]{len(leaks)} leak(s) in {args.outdir}: do not distribute it.[/red bold]"
        )
        return ExitCode.LOST
    console.print(f"[green]✓[/green] {args.outdir}: no solution body, no hidden test name")
    return ExitCode.FULL


def cmd_init_ci(args: argparse.Namespace) -> int:
    from torchgrade.ci import write_ci

    path = write_ci(
        args.provider,
        dest=args.dest,
        course=load_course(args.course),
        homework=args.homework,
        grader_repo=args.grader_repo,
        grader_ref=args.grader_ref,
        force=args.force,
    )
    print(path)
    return ExitCode.FULL


def cmd_gradescope_bundle(args: argparse.Namespace) -> int:
    from torchgrade.ci import gradescope_bundle

    path = gradescope_bundle(
        args.zip, course=load_course(args.course), homework=args.homework, force=args.force
    )
    print(path)
    return ExitCode.FULL


def cmd_check(args: argparse.Namespace) -> int:
    course = load_course(args.course)
    _prestart_sandbox(course, args.sandbox)
    from torchgrade.checking import check

    console = Console(highlight=False)
    with GradeProgress(Console(stderr=True)) as progress:
        result = check(
            course=course,
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
        # The stubs fail every test the same way; their section reasons say it once.
        console.print(renderable(report, failures=report is result.solutions))
    console.rule("check")
    for problem in result.problems:
        console.print(f"[red]✗[/red] {problem}", markup=True)
    if result.ok:
        solutions, exercises = result.solutions, result.exercises
        console.print(
            f"[green]✓[/green] solutions {score_text(solutions.score, solutions.max_points)}, "
            f"exercises {score_text(exercises.score, exercises.max_points)}, "
            "stubs current, APIs match, notebooks in sync"
            + ("" if args.no_notebooks else " and run")
        )
    return ExitCode.FULL if result.ok else ExitCode.LOST


def cmd_stubs(args: argparse.Namespace) -> int:
    course = load_course(args.course)
    for homework in course.select(args.homework):
        print(stubs.write_stub(course, homework.id))
    return ExitCode.FULL


def cmd_notebooks(args: argparse.Namespace) -> int:
    course = load_course(args.course)
    for homework_id in args.homework or [h.id for h in course.homeworks]:
        print(notebooks.write_notebook(course, homework_id))
    return ExitCode.FULL


if __name__ == "__main__":
    sys.exit(main())
