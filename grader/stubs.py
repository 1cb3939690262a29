"""Student stubs generated from the one source of an assignment: its reference module.

Trusted side, instructor tooling: reads ``solutions/<id>.py`` (never a submission) and writes
``exercises/<id>.py``. An assignment is written once. Inside each body a student writes, the
reference marks its answer the way nbgrader and otter do::

    def forward(self, X):
        \"\"\"Logits of shape ``(n, 1)``.\"\"\"          # kept: docstrings teach
        # TODO(1.3): return the logits X @ w.          # kept: the hint
        # BEGIN SOLUTION
        return X @ self.w                              # dropped from the stub
        # END SOLUTION

and the stub gets ``raise NotImplementedError("1.3: LogisticRegression")`` in place of the
region, at its indentation, named after the chunk's marker line. The module docstring's first
line says ``: reference solutions.`` (the stub's says ``: your exercises.``), and its last
paragraph speaks of the reference only: the stub replaces it with :data:`INSTRUCTIONS`.
The solved notebook shows the reference without the two marker lines (:func:`strip_markers`).
"""

import ast
import re
from pathlib import Path

from torchgrade.cells import parse_marker
from torchgrade.course import Course
from torchgrade.errors import GraderError

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
REFERENCE_TITLE, STUB_TITLE = ": reference solutions.", ": your exercises."
INSTRUCTIONS = """\
Replace every ``# TODO`` line and the ``raise NotImplementedError`` below it with your code;
keep the names, the signatures and the marker lines (``# EXERCISE {section} — ...``). Every chunk
that starts with a marker line becomes one notebook cell and is graded on its own: put any
helper you write (a name starting with ``_``) inside the chunk that uses it."""


class StubError(GraderError, ValueError):
    """The reference module is not a valid source for stubs; the message says where."""


def make_stub(source: str, where: str = "solution") -> str:
    """The student module for a reference module's text (see the module docstring)."""
    lines = _stub_docstring(source, where).splitlines(keepends=True)
    out: list[str] = []
    exercise: tuple[str, str] | None = None  # (section, name) of the chunk we are in
    region_start: int | None = None
    for number, line in enumerate(lines, start=1):
        marker = parse_marker(line.rstrip("\n"))
        if marker is not None:
            if region_start is not None:
                raise StubError(f"{where}:{region_start}: {BEGIN} is not closed")
            exercise = (marker.section, marker.name) if marker.kind == "exercise" else None
        stripped = line.strip()
        if stripped == BEGIN:
            if region_start is not None:
                raise StubError(f"{where}:{number}: {BEGIN} inside another solution region")
            if exercise is None:
                raise StubError(f"{where}:{number}: {BEGIN} outside an EXERCISE chunk")
            region_start = number
            indent = line[: len(line) - len(line.lstrip())]
            section, name = exercise
            out.append(f'{indent}raise NotImplementedError("{section}: {name}")\n')
        elif stripped == END:
            if region_start is None:
                raise StubError(f"{where}:{number}: {END} without {BEGIN}")
            region_start = None
        elif region_start is None:
            out.append(line)
    if region_start is not None:
        raise StubError(f"{where}:{region_start}: {BEGIN} is not closed")
    return "".join(out)


def strip_markers(source: str) -> str:
    """The reference as a reader should see it: without the two region marker lines."""
    return "".join(
        line
        for line in source.splitlines(keepends=True)
        if line.strip() not in (BEGIN, END)
    )


def _stub_docstring(source: str, where: str) -> str:
    """``source`` with the module docstring turned into the student's version."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise StubError(f"{where}:{exc.lineno}: {exc.msg}") from exc
    doc = ast.get_docstring(tree, clean=False)
    first = tree.body[0] if tree.body else None
    if doc is None or first is None:
        raise StubError(f"{where}: the module needs a docstring")
    head, *paragraphs = re.split(r"\n\s*\n", doc.strip("\n"))
    title = head.splitlines()[0]
    if not title.endswith(REFERENCE_TITLE):
        raise StubError(f"{where}:1: the docstring's first line must end with {REFERENCE_TITLE!r}")
    if not paragraphs:
        raise StubError(f"{where}: the docstring needs a last paragraph about the reference")
    head = title[: -len(REFERENCE_TITLE)] + STUB_TITLE + head[len(title) :]
    section = _first_section(source) or "1.1"
    text = "\n\n".join([head, *paragraphs[:-1], INSTRUCTIONS.format(section=section)])
    lines = source.splitlines(keepends=True)
    rest = "".join(lines[first.end_lineno :])
    return f'"""{text}\n"""\n{rest}'


def _first_section(source: str) -> str | None:
    for line in source.splitlines():
        marker = parse_marker(line)
        if marker is not None and marker.kind == "exercise":
            return marker.section
    return None


def stub_path(course: Course, assignment_id: str) -> tuple[Path, Path]:
    """``(source, stub)``: the reference module and the stub generated from it."""
    return (
        course.module_path("solutions", assignment_id),
        course.module_path("exercises", assignment_id),
    )


def generate(course: Course, assignment_id: str) -> str:
    """The stub text for one assignment, from its reference module."""
    source, _ = stub_path(course, assignment_id)
    return make_stub(source.read_text(encoding="utf-8"), where=str(source))


def write_stub(course: Course, assignment_id: str) -> Path:
    """Regenerate ``exercises/<id>.py``."""
    _, stub = stub_path(course, assignment_id)
    stub.write_text(generate(course, assignment_id), encoding="utf-8")
    return stub


def out_of_date(course: Course, assignment_id: str) -> str | None:
    """Why the committed stub differs from its source, or None when it is current."""
    source, stub = stub_path(course, assignment_id)
    try:
        expected = generate(course, assignment_id)
    except (StubError, OSError) as exc:
        return f"{assignment_id}: cannot generate the stub: {exc}"
    try:
        current = stub.read_text(encoding="utf-8")
    except OSError:
        current = None
    if current != expected:
        return (
            f"{assignment_id}: {stub.name} is out of date with {source.parent.name}/{source.name}"
            " (run `grader stubs`)"
        )
    return None
