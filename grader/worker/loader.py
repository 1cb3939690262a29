"""Executing a submission's cells into modules, and what student code raised, as data.

Worker side: runs in the template (and in the grader itself only under ``--no-sandbox``).
The report it produces is the template's word; the grader checks its shape
(:func:`torchgrade.control.read_load_event`) and trusts nothing else in it.
"""

import linecache
import sys
import traceback
import types
from collections.abc import Callable

from torchgrade.specs import CellSpec, ModuleSpec

MAX_MESSAGE = 4000  # characters of an exception message sent back
MAX_TRACEBACK = 20  # student frames kept in a traceback


def load_modules(
    modules: list[ModuleSpec] | tuple[ModuleSpec, ...],
    student_files: set[str],
    on_cell: Callable[[str, str], None],
) -> tuple[dict[str, dict[str, dict]], dict[str, list[str]]]:
    """Execute each module's cells in order; one failing cell does not stop the others.

    ``on_cell(module, key)`` is called before each cell runs (the template tells the grader,
    so that a hang or crash is blamed on that cell alone). ``student_files`` collects the
    cells' file names: a traceback keeps only frames from them.

    Returns:
        ``(errors, missing)``: per module, cell key -> the exception as data, and the
        expected names the cells did not define.
    """
    errors: dict[str, dict[str, dict]] = {}
    missing: dict[str, list[str]] = {}
    for spec in modules:
        module = types.ModuleType(spec.name)
        module.__file__ = spec.name + ".py"
        sys.modules[spec.name] = module
        errors[spec.name] = {}
        for cell in spec.cells:
            on_cell(spec.name, cell.key)
            error = _exec_cell(module, cell, student_files)
            if error:
                errors[spec.name][cell.key] = error
        missing[spec.name] = [name for name in spec.expect if not hasattr(module, name)]
    return errors, missing


def _exec_cell(module: types.ModuleType, cell: CellSpec, student_files: set[str]) -> dict | None:
    student_files.add(cell.filename)
    # Pad with blank lines so line numbers in tracebacks are the file's own.
    source = "\n" * (cell.line - 1) + cell.source
    _remember_source(cell.filename, source)
    try:
        exec(compile(source, cell.filename, "exec", dont_inherit=True), module.__dict__)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt included
        return describe_exception(exc, student_files)
    return None


def _remember_source(filename: str, source: str) -> None:
    """Let tracebacks quote student lines; cells of one ``.py`` file share its line numbers."""
    lines = source.splitlines(True)
    known = linecache.cache.get(filename, (0, None, [], filename))[2]
    merged = [new if new.strip() else old for new, old in zip(lines, known, strict=False)]
    merged += lines[len(known) :] + known[len(lines) :]
    linecache.cache[filename] = (sum(map(len, merged)), None, merged, filename)


def describe_exception(exc: BaseException, student_files: set[str]) -> dict:
    """An exception as data: its type name, message and the student's frames only."""
    try:
        message = str(exc)[:MAX_MESSAGE]
    except Exception:
        message = "<exception message could not be read>"
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename in student_files
    ][-MAX_TRACEBACK:]
    if isinstance(exc, SyntaxError) and exc.filename in student_files:
        frames = [traceback.FrameSummary(exc.filename, exc.lineno or 0, "<cell>", line=exc.text)]
    lines = "".join(traceback.format_list(frames))
    return {"type": type(exc).__name__, "message": message, "traceback": lines}
