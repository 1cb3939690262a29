"""The terminal report: a score table per homework, then feedback for each failed test."""

from rich import box
from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from torchgrade.report.feedback import MAX_OUTPUT_LINES, clean
from torchgrade.results import GradeReport, HomeworkResult, TestResult

__all__ = ["clean", "render", "renderable", "score_text"]


def score_text(score: float, max_points: float) -> str:
    return f"{score:g} / {max_points:g}"


def render(report: GradeReport, width: int = 110, color: bool = False) -> str:
    """The whole report as text (``color`` adds ANSI styles for a terminal)."""
    console = Console(
        width=width,
        record=True,
        force_terminal=color,
        color_system=None if not color else "auto",
        file=_Null(),
        highlight=False,
    )
    console.print(renderable(report))
    return console.export_text(styles=color)


def renderable(report: GradeReport, *, failures: bool = True) -> Group:
    """The report for a terminal; ``failures=False`` keeps only the section tables."""
    parts = []
    for homework in report.homeworks:
        notes = [Text(f"  note: {clean(n)}", style="yellow") for n in homework.notes]
        listed = _failures(homework) if failures else []
        table = _public_table(homework) if report.public_only else _table(homework)
        parts += [table, *notes, *listed, Text("")]
    if report.public_only:
        parts.append(public_summary(report))
    elif len(report.homeworks) > 1:
        parts.append(Text(f"Total: {score_text(report.score, report.max_points)}", style="bold"))
    parts += [Text(f"  note: {clean(n)}", style="yellow") for n in report.notes]
    parts.append(_footer(report))
    return Group(*parts)


def _table(homework: HomeworkResult) -> Table:
    origin = f" — {escape(clean(homework.origin))}" if homework.origin else ""
    table = Table(
        title=f"[bold]{homework.id}[/bold]: {escape(homework.title)}{origin}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        expand=False,
    )
    table.add_column("Section", no_wrap=True)
    table.add_column("Title")
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Reason", overflow="fold")
    for s in homework.sections:
        style = "green" if s.score == s.max_points else ("red" if s.score == 0 else "yellow")
        table.add_row(
            s.id,
            escape(s.title),
            Text(score_text(s.score, s.max_points), style=style),
            Text(clean(s.reason)),
        )
    table.add_section()
    table.add_row(
        "Total", "", Text(score_text(homework.score, homework.max_points), style="bold"), ""
    )
    return table


def _public_table(homework: HomeworkResult) -> Table:
    """A self-check's table: which public tests passed, per section; no score to misread."""
    origin = f" — {escape(clean(homework.origin))}" if homework.origin else ""
    table = Table(
        title=f"[bold]{homework.id}[/bold]: {escape(homework.title)}{origin} — public tests",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        expand=False,
    )
    for name, justify in (("Section", "left"), ("Title", "left"), ("Public tests", "right")):
        table.add_column(name, justify=justify, no_wrap=name != "Title")
    table.add_column("Status", overflow="fold")
    for s in homework.sections:
        passed = sum(t.outcome == "passed" for t in s.tests)
        if not s.tests:
            status = Text(clean(s.reason) or "no public test: graded after the deadline", "dim")
        elif passed == len(s.tests):
            status = Text("passed", style="green")
        else:
            status = Text(clean(s.reason) or "failed", style="red")
        counts = f"{passed} / {len(s.tests)}" if s.tests else "—"
        table.add_row(s.id, escape(s.title), counts, status)
    return table


def public_summary(report: GradeReport) -> Text:
    """One line: how many public tests passed, and what share of the points they cover."""
    tests = [t for h in report.homeworks for t in h.tests]
    passed = sum(t.outcome == "passed" for t in tests)
    covered = sum(t.points for t in tests)
    ok = tests and passed == len(tests)
    return Text(
        f"public tests: {passed} / {len(tests)} passed — they cover {covered:g} of "
        f"{report.max_points:g} points; the hidden tests grade the rest after the deadline",
        style="bold green" if ok else "bold red",
    )


def _failures(homework: HomeworkResult) -> list:
    failed = [t for t in homework.tests if t.outcome != "passed"]
    if not failed:
        return []
    lines = [Text("Failed tests:", style="bold")]
    for test in failed:
        lines.append(_failure(test))
    return lines


def _failure(test: TestResult) -> Text:
    head = Text(f"  {test.section} {test.name} ({test.points:g} pt): ", style="red")
    body = clean(test.message).rstrip() or test.outcome
    text = head + Text(body.replace("\n", "\n      "))
    if test.outcome == "error":
        text += Text("  [grader error]", style="magenta")
    output = clean(test.output).rstrip()
    if output:
        shown = output.splitlines()[:MAX_OUTPUT_LINES]
        more = "\n      │ ..." if len(output.splitlines()) > MAX_OUTPUT_LINES else ""
        text += Text(
            "\n      your output:\n      │ " + "\n      │ ".join(shown) + more, style="dim"
        )
    return text


def _footer(report: GradeReport) -> Text:
    iso = report.isolation
    trust = ""
    if iso.get("method") == "none":
        trust = "  (in-process self-check)" if report.public_only else "  NOT ISOLATED: not a grade"
    scope = " · public tests only" if report.public_only else ""
    return Text(
        f"seed {report.seed} (reproduce with --seed {report.seed}) · isolation: "
        f"{iso.get('method')}, network {iso.get('network')}, user {iso.get('user')}"
        f" · {report.duration_s:.1f} s{scope}{trust}",
        style="dim",
    )


class _Null:
    def write(self, _: str) -> int:
        return 0

    def flush(self) -> None:
        pass
