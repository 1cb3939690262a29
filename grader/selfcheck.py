"""The notebook's self-check: grade the exercise cells as the kernel last ran them.

Trusted side of the student's own machine. It reads the kernel's input history (not the
``.ipynb`` on disk, which Colab does not have and which may be unsaved), keeps the latest run of
each cell the grader would grade — marker lines read exactly as the grader reads them, loose
ones included — writes them as one module into a temporary folder and grades that with the
public tests, in a separate ``grader`` process with its usual sandbox (in-process, and labelled
so, where the system has no ``fork``). ``self_check("hw1_basics")`` checks the whole notebook,
``check("1.3")`` one section while the student works.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from torchgrade.cells import Chunk, find_loose_marker, find_marker, join_chunks
from torchgrade.course import CourseError, Homework, load_course
from torchgrade.errors import ExitCode
from torchgrade.submission import resolve_loose


def latest_cells(history: list[str], homework_id: str) -> list[Chunk]:
    """The last executed version of the IMPORTS cell and of each exercise cell, in course order."""
    homework = load_course().homework(homework_id)
    latest: dict[str, Chunk] = {}
    for source in history:
        marker = find_marker(source or "")
        if marker is None and (loose := find_loose_marker(source or "")):
            marker, _ = resolve_loose(loose, source, homework)
        if marker is None:
            continue
        if marker.kind == "imports" and marker.name == homework_id:
            latest["imports"] = Chunk(marker, source)
        elif marker.kind == "exercise" and marker.name in homework.exercises:
            # Keep the canonical marker line: the grader then reads this cell without a note.
            latest[marker.name] = Chunk(marker, _canonical(source, marker.line()))
    return [latest[key] for key in ("imports", *homework.exercises) if key in latest]


def self_check(homework_id: str, *, timeout: float = 900) -> int:
    """Grade this kernel's exercise cells with the public tests and print what they say.

    Returns the grader's exit code (0: every public test passed).
    """
    return _run(homework_id, [], timeout)


def check(section: str, *, timeout: float = 600) -> int:
    """Check one section (``check("1.3")``) of the notebook with its public tests."""
    try:
        homework = _owner(section)
    except CourseError as exc:
        print(exc)
        return ExitCode.NOT_GRADED
    return _run(homework.id, ["--section", homework.section(section.upper()).id], timeout)


def _owner(section: str) -> Homework:
    """The assignment a section id belongs to (section ids are unique in the course)."""
    course = load_course()
    for homework in course.homeworks:
        if any(s.id == section.upper() for s in homework.sections):
            return homework
    known = ", ".join(s.id for h in course.homeworks for s in h.sections)
    raise CourseError(f"no section {section!r} in this course (it has {known})")


def _run(homework_id: str, extra: list[str], timeout: float) -> int:
    history = _kernel_history()
    if history is None:
        print(
            "The self-check runs inside Jupyter (or Colab, VS Code). Outside a notebook, run:\n"
            f"    grader grade {homework_id}.ipynb --public"
        )
        return ExitCode.NOT_GRADED
    chunks = latest_cells(history, homework_id)
    if not any(c.marker.kind == "exercise" for c in chunks):
        print("No exercise cell has been run yet: run the cells above first.")
        return ExitCode.NOT_GRADED
    with tempfile.TemporaryDirectory(prefix="selfcheck-") as folder:
        module = Path(folder) / f"{homework_id}.py"
        module.write_text(join_chunks(chunks), encoding="utf-8")
        command = [sys.executable, "-m", "torchgrade", "grade", str(module), "--public"]
        command += ["--homework", homework_id, *extra]
        # Jupyter and Colab show ANSI colours: green when every public test passed.
        env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "110"}
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            print(f"The self-check did not finish within {timeout:g} s.")
            return ExitCode.NOT_GRADED
    print(done.stdout.replace(str(module), f"{homework_id} (this notebook)"), end="")
    if done.returncode == ExitCode.NOT_GRADED:
        print(done.stderr, end="")
    return done.returncode


def _canonical(source: str, marker_line: str) -> str:
    """``source`` with its (first) marker line written the canonical way."""
    lines = source.splitlines()
    for i, line in enumerate(lines):
        if find_marker(line) or find_loose_marker(line):
            lines[i] = marker_line
            break
    return "\n".join(lines)


def _kernel_history() -> list[str] | None:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None:
        return None
    return list(shell.history_manager.input_hist_raw)
