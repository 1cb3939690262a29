"""Report formats: each module renders a :class:`~torchgrade.results.GradeReport` as text.

``render(report, fmt)`` is the one entry point; ``FORMATS`` lists what ``--format`` accepts.
The formats are documented in ``docs/reports.md``.
"""

from collections.abc import Callable

from torchgrade.report import github, gradescope, json_report, junit, table
from torchgrade.results import GradeReport

FORMATS: dict[str, Callable[[GradeReport], str]] = {
    "table": table.render,
    "json": json_report.render,
    "gradescope": gradescope.render,
    "junit": junit.render,
    "github": github.render,
}


def render(report: GradeReport, fmt: str) -> str:
    """Render ``report`` in format ``fmt`` (a key of :data:`FORMATS`)."""
    try:
        return FORMATS[fmt](report)
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}") from None
