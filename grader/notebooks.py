"""Notebooks: generated from one source of truth, never edited as JSON.

``notebooks/src/<hw>.md`` holds the narrative and experiments; the exercise cells come from
``exercises/<hw>.py`` (the student notebook) or ``solutions/<hw>.py`` (the solved one). The
Markdown source format is described in ``docs/authoring.md``.
"""

import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from torchgrade import stubs
from torchgrade.cells import Chunk, Marker, split_module
from torchgrade.course import Course
from torchgrade.errors import GraderError

_DIRECTIVE = re.compile(r"^<!--\s*cell:\s*(imports|self-check|exercise\s+(\w+))\s*-->\s*$")
_FENCE = re.compile(r"^(```+|~~~+)\s*(\S*)")
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


class NotebookSourceError(GraderError, ValueError):
    """The Markdown source or the modules do not fit together; the message says where."""


def self_check_source(homework_id: str, example_section: str = "1.1") -> str:
    return "\n".join(
        [
            Marker("self-check", homework_id).line(),
            "# Grades the exercise cells as this kernel last ran them, with the public tests.",
            "# Run it after your exercise cells; it does not need this file to be saved.",
            "# One section while you work: from torchgrade.selfcheck import check; "
            f'check("{example_section}")',
            "from torchgrade.selfcheck import self_check",
            "",
            f'self_check("{homework_id}")',
        ]
    )


def build_notebook(course: Course, homework_id: str, *, solved: bool) -> NotebookNode:
    """The student (``solved=False``) or solved notebook of a homework."""
    homework = course.homework(homework_id)
    package = "solutions" if solved else "exercises"
    module_path = course.module_path(package, homework_id)
    text = module_path.read_text(encoding="utf-8")
    _, chunks = split_module(stubs.strip_markers(text) if solved else text)
    by_key = {_key(c): c for c in chunks}
    cells, used = [], []
    source_path = course.notebook_source(homework_id)
    for kind, payload in _parse(source_path.read_text(encoding="utf-8")):
        if kind == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(payload))
        elif kind == "code":
            cells.append(nbformat.v4.new_code_cell(payload))
        elif kind == "self-check":
            example = homework.sections[0].id
            cells.append(_tagged(self_check_source(homework_id, example), "self-check"))
        else:  # imports or an exercise name
            chunk = by_key.get(payload)
            if chunk is None:
                raise NotebookSourceError(
                    f"{source_path.name}: {module_path} has no chunk {payload!r}"
                )
            used.append(payload)
            cells.append(_tagged(chunk.source, "imports" if payload == "imports" else "exercise"))
    _check_coverage(used, ["imports", *homework.exercises], source_path.name)
    for i, cell in enumerate(cells):
        cell.id = f"{homework_id}-{i:03d}"  # stable ids: the generated JSON is reproducible
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python"},
        "torchgrade": {"homework": homework_id, "solved": solved},
    }
    return notebook


def _key(chunk: Chunk) -> str:
    return "imports" if chunk.marker.kind == "imports" else chunk.marker.name


def _tagged(source: str, tag: str) -> NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = [tag]
    return cell


def _check_coverage(used: list[str], expected: list[str], where: str) -> None:
    duplicated = sorted({k for k in used if used.count(k) > 1})
    missing = [k for k in expected if k not in used]
    if duplicated or missing:
        raise NotebookSourceError(f"{where}: cells missing {missing}, duplicated {duplicated}")


def _parse(text: str) -> list[tuple[str, str]]:
    """Split the Markdown source into ``(kind, payload)`` items in order."""
    items: list[tuple[str, str]] = []
    markdown: list[str] = []
    code: list[str] | None = None  # inside a ```python fence
    other_fence: str | None = None  # inside a fence shown as Markdown

    def flush() -> None:
        text = "\n".join(markdown).strip("\n")
        if text.strip():
            items.append(("markdown", text))
        markdown.clear()

    for line in text.splitlines():
        fence = _FENCE.match(line)
        if code is not None:
            if fence and not fence.group(2):
                items.append(("code", "\n".join(code).strip("\n")))
                code = None
            else:
                code.append(line)
        elif other_fence is not None:
            markdown.append(line)
            if fence and fence.group(1) == other_fence:
                other_fence = None
        elif fence and fence.group(2) == "python":
            flush()
            code = []
        elif fence:
            markdown.append(line)
            other_fence = fence.group(1)
        elif directive := _DIRECTIVE.match(line):
            flush()
            kind = directive.group(1)
            items.append(
                ("directive", directive.group(2) or kind)
                if kind != "self-check"
                else ("self-check", "")
            )
        elif line.strip() == "+++":
            flush()
        else:
            markdown.append(line)
    if code is not None:
        raise NotebookSourceError("a ```python block is not closed")
    flush()
    return items


def notebook_text(notebook: NotebookNode) -> str:
    return nbformat.writes(notebook) + "\n"


def write_notebook(course: Course, homework_id: str) -> Path:
    """Write the student notebook ``notebooks/<hw>.ipynb`` from its sources."""
    path = course.notebook_path(homework_id)
    path.write_text(
        notebook_text(build_notebook(course, homework_id, solved=False)), encoding="utf-8"
    )
    return path


def out_of_date(course: Course, homework_id: str) -> str | None:
    """Why the committed student notebook differs from its sources, or ``None``."""
    path = course.notebook_path(homework_id)
    if not path.exists():
        return f"{path} is missing; run `grader notebooks`"
    expected = notebook_text(build_notebook(course, homework_id, solved=False))
    if path.read_text(encoding="utf-8") != expected:
        return f"{path} is out of date with its sources (or has outputs); run `grader notebooks`"
    return None


def execute(notebook: NotebookNode, *, cwd: Path, timeout: int = 600) -> tuple[str, str] | None:
    """Run a notebook top to bottom in a fresh kernel.

    Returns:
        ``None`` if every cell ran, else ``(error name, message)`` of the first failing cell.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        return exc.ename, exc.evalue
    return None
