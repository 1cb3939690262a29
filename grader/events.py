"""Progress events: what long work reports while it runs, as typed values.

Trusted side; plain data. :func:`torchgrade.grading.grade`, :func:`torchgrade.checking.check` and
:func:`torchgrade.batch.grade_batch` call a :data:`Progress` callback with these, and the displays
in :mod:`torchgrade.progress` draw them (a bar on a terminal, one line each in a CI log).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    """A stage of a longer job begins (``grader check``: "grading solutions/")."""

    name: str


@dataclass(frozen=True)
class CellLoading:
    """The sandbox executes one cell of the submission."""

    module: str
    cell: str


@dataclass(frozen=True)
class SuiteStarted:
    """An assignment's hidden suite starts."""

    homework: str


@dataclass(frozen=True)
class TestsCollected:
    """An assignment's suite holds ``total`` tests to run."""

    homework: str
    total: int


@dataclass(frozen=True)
class TestFinished:
    """One test ended; ``result`` is its :class:`torchgrade.results.TestResult`."""

    homework: str
    result: Any


@dataclass(frozen=True)
class BatchStarted:
    """A batch grades ``total`` submissions; ``skipped`` were graded before."""

    total: int
    skipped: int


@dataclass(frozen=True)
class StudentStarted:
    student: str


@dataclass(frozen=True)
class StudentFinished:
    """One student's outcome; ``entry`` is their :class:`torchgrade.results.BatchEntry`."""

    entry: Any


Event = (
    Step
    | CellLoading
    | SuiteStarted
    | TestsCollected
    | TestFinished
    | BatchStarted
    | StudentStarted
    | StudentFinished
)
Progress = Callable[[Event], None]


def ignore(event: Event) -> None:
    """The callback of a caller that wants no progress."""
