"""The terminal report: a score table per homework, then feedback for each failed test."""

from rich import box
from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from grader.report.feedback import MAX_OUTPUT_LINES, clean
from grader.results import GradeReport, HomeworkResult, TestResult

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
        parts += [_table(homework), *notes, *listed, Text("")]
    if len(report.homeworks) > 1:
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
    trust = "" if iso.get("method") != "none" else "  NOT ISOLATED: for debugging only, not a grade"
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
