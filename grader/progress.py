"""Progress on stderr for long work: a live bar on a terminal, one line per stage otherwise.

Both displays are :data:`torchgrade.events.Progress` callbacks that
:func:`torchgrade.grading.grade`, :func:`torchgrade.checking.check` and
:func:`torchgrade.batch.grade_batch` call; CI logs get plain lines, terminals a bar.
Trusted side: they only draw.
"""

import sys

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from torchgrade import events


class _Display:
    """A context manager that yields ``self.update`` and owns an optional rich bar."""

    columns: tuple = ()

    def __init__(self, console: Console):
        self.console = console
        self.bar: Progress | None = None
        self.task = None

    def __enter__(self) -> events.Progress:
        if self.console.is_terminal:
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                *self.columns,
                console=self.console,
                transient=True,
            )
            self.bar.start()
        return self.update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def update(self, event: events.Event) -> None:
        raise NotImplementedError

    def _line(self, text: str) -> None:
        if self.bar is not None:
            self.bar.console.print(f"[dim]{escape(text)}[/dim]", highlight=False)
        else:
            print(text, file=sys.stderr, flush=True)

    def _advance(self) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.advance(self.task)


class GradeProgress(_Display):
    """One submission: which cell loads, then a bar over each homework's tests."""

    def update(self, event: events.Event) -> None:
        if isinstance(event, events.Step):
            self._end_task()
            self._line(event.name)
        elif isinstance(event, events.CellLoading) and self.bar is not None:
            text = f"loading {event.module}: {event.cell}"
            if self.task is None:
                self.task = self.bar.add_task(text, total=None)
            self.bar.update(self.task, description=text)
        elif isinstance(event, events.TestsCollected):
            self._end_task()
            self._line(f"{event.homework}: {event.total} tests")
            if self.bar is not None:
                self.task = self.bar.add_task(event.homework, total=event.total)
        elif isinstance(event, events.TestFinished):
            self._advance()

    def _end_task(self) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.remove_task(self.task)
            self.task = None


class BatchProgress(_Display):
    """A whole class: one bar over the students, a line with each student's outcome."""

    columns = (TimeRemainingColumn(),)

    def update(self, event: events.Event) -> None:
        if isinstance(event, events.BatchStarted):
            skipped = f", {event.skipped} already graded" if event.skipped else ""
            self._line(f"grading {event.total} submission(s){skipped}")
            if self.bar is not None:
                self.task = self.bar.add_task("grading", total=event.total)
        elif isinstance(event, events.StudentFinished):
            entry = event.entry
            if entry.graded:
                outcome = f"{entry.report.score:g} / {entry.report.max_points:g}"
            else:
                outcome = f"not graded: {entry.reason}"
            self._line(f"{entry.student}: {outcome}")
            self._advance()
