"""Exercise cells: the marker lines that delimit them, in homework modules and in notebooks.

A homework module (``exercises/hw1_basics.py``) is a header (its docstring) followed by chunks,
each opened by a marker line that every editor keeps::

    # IMPORTS — hw1_basics
    # EXERCISE 1.3 — LogisticRegression
    # SELF-CHECK — hw1_basics

The notebook builder turns each chunk into one notebook cell, and the submission loader turns
each marked notebook cell back into a chunk, so a module and its notebook share one format.
"""

import re
from dataclasses import dataclass
from typing import Literal

MarkerKind = Literal["imports", "exercise", "self-check"]

# Editors and keyboards differ: accept an em dash, an en dash or one or two hyphens.
_DASH = r"\s*(?:—|–|-{1,2})\s*"
_IDENT = r"[A-Za-z_]\w*"
_PATTERNS: dict[MarkerKind, re.Pattern[str]] = {
    "imports": re.compile(rf"^#\s*IMPORTS{_DASH}(?P<name>{_IDENT})\s*$"),
    "exercise": re.compile(
        rf"^#\s*EXERCISE\s+(?P<section>S?\d+(?:\.\d+)*){_DASH}(?P<name>{_IDENT})\s*$"
    ),
    "self-check": re.compile(rf"^#\s*SELF-CHECK{_DASH}(?P<name>{_IDENT})\s*$"),
}
# Something that looks like a marker but does not parse: worth a hint to the student.
_NEAR_MARKER = re.compile(r"^#\s*(EXERCISE|IMPORTS|SELF-CHECK)\b", re.IGNORECASE)
# What students make of a marker line, still meaning one: any case and spacing, a dash, a colon
# or nothing after the section, then any title (a translation, "my solution", a comment).
_LOOSE_SEPARATOR = r"\s*(?:—|–|-{1,2}|:)?\s*"
_LOOSE_EXERCISE = re.compile(
    rf"^#\s*exercise\s*(?P<section>s?\d+(?:\.\d+)*)(?![\d.]){_LOOSE_SEPARATOR}(?P<title>.*)$",
    re.IGNORECASE,
)
_LOOSE_OTHER = re.compile(
    rf"^#\s*(?P<kind>imports|self-check){_LOOSE_SEPARATOR}(?P<name>[A-Za-z_]\w*)", re.IGNORECASE
)


@dataclass(frozen=True)
class Marker:
    """A parsed marker line.

    ``name`` is the module name for ``imports`` and ``self-check`` markers and the exercise
    name (a function or class of the homework module) for ``exercise`` markers.
    """

    kind: MarkerKind
    name: str
    section: str | None = None

    def line(self) -> str:
        """The canonical marker line, as the notebook builder writes it."""
        if self.kind == "exercise":
            return f"# EXERCISE {self.section} — {self.name}"
        return f"# {self.kind.upper()} — {self.name}"


@dataclass(frozen=True)
class Chunk:
    """One marked chunk of a module: the marker line and the code up to the next marker.

    ``first_line`` is the 1-based line of the marker in the module file, so tracebacks and
    rule messages can point at the student's real line numbers.
    """

    marker: Marker
    source: str
    first_line: int = 1


def parse_marker(line: str) -> Marker | None:
    """Parse one line; ``None`` unless it is a well-formed marker."""
    text = line.strip()
    for kind, pattern in _PATTERNS.items():
        match = pattern.match(text)
        if match:
            return Marker(kind, match["name"], match.groupdict().get("section"))
    return None


def find_marker(source: str) -> Marker | None:
    """The marker of a notebook cell: the first marker among its leading comment lines.

    Students sometimes add a blank line or a note above the marker; anything after the first
    line of code no longer counts, so a marker quoted deep inside a cell is not mistaken.
    """
    for line in source.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return None
        marker = parse_marker(stripped)
        if marker:
            return marker
    return None


@dataclass(frozen=True)
class LooseMarker:
    """A leading line that means a marker but is not written canonically.

    ``kind`` is ``imports``, ``self-check`` or ``exercise``; ``name`` the module name of the
    first two, ``section`` and ``title`` (whatever follows the section) of an exercise's.
    Which exercise it names is decided with the course table (:mod:`torchgrade.submission`).
    """

    kind: MarkerKind
    line: str
    name: str = ""
    section: str = ""
    title: str = ""


def find_loose_marker(source: str) -> LooseMarker | None:
    """The first leading comment line of a cell that means a marker (see :class:`LooseMarker`)."""
    for line in source.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return None
        if match := _LOOSE_EXERCISE.match(stripped):
            section = match["section"].upper()
            return LooseMarker("exercise", stripped, section=section, title=match["title"].strip())
        if match := _LOOSE_OTHER.match(stripped):
            kind = match["kind"].lower()
            return LooseMarker(kind, stripped, name=match["name"])  # type: ignore[arg-type]
    return None


def near_marker(source: str) -> str | None:
    """A leading line that starts like a marker but does not parse (e.g. a typo), if any."""
    for line in source.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return None
        if _NEAR_MARKER.match(stripped) and not parse_marker(stripped):
            return stripped
    return None


def split_module(text: str) -> tuple[str, list[Chunk]]:
    """Split a module into its header and marked chunks.

    Returns:
        ``(header, chunks)``: the text before the first marker line (the module docstring),
        and one chunk per marker with trailing blank lines removed.
    """
    lines = text.splitlines()
    starts = [(i, m) for i, line in enumerate(lines) if (m := parse_marker(line))]
    header_end = starts[0][0] if starts else len(lines)
    header = "\n".join(lines[:header_end]).rstrip()
    chunks = []
    for n, (start, marker) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        source = "\n".join(lines[start:end]).rstrip()
        chunks.append(Chunk(marker, source, first_line=start + 1))
    return header, chunks


def join_chunks(chunks: list[Chunk], header: str = "") -> str:
    """The inverse of :func:`split_module`: a module text from chunks (two blank lines apart)."""
    parts = [header] if header else []
    parts += [chunk.source.rstrip() for chunk in chunks]
    return "\n\n\n".join(parts) + "\n"
