"""The notebook's last cell: grade the exercise cells as the kernel last ran them.

It reads the kernel's input history (not the ``.ipynb`` on disk, which Colab does not have
and which may be unsaved), keeps the latest run of each marked cell, writes them as one
module into a temporary folder and grades that with the public tests, in a separate
``grader`` process with its usual sandbox.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from grader.cells import Chunk, find_marker, join_chunks
from grader.course import load_course
from grader.errors import ExitCode


def latest_cells(history: list[str], homework_id: str) -> list[Chunk]:
    """The last executed version of the IMPORTS cell and of each exercise cell, in course order."""
    homework = load_course().homework(homework_id)
    latest: dict[str, Chunk] = {}
    for source in history:
        marker = find_marker(source or "")
        if marker is None:
            continue
        if marker.kind == "imports" and marker.name == homework_id:
            latest["imports"] = Chunk(marker, source)
        elif marker.kind == "exercise" and marker.name in homework.exercises:
            latest[marker.name] = Chunk(marker, source)
    return [latest[key] for key in ("imports", *homework.exercises) if key in latest]


def self_check(homework_id: str, *, timeout: float = 900) -> int:
    """Grade this kernel's exercise cells with the public tests and print the score table.

    Returns the grader's exit code (0: every public test passed).
    """
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
        command = [
            sys.executable,
            "-m",
            "grader",
            "grade",
            str(module),
            "--public",
            "--homework",
            homework_id,
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            print(f"The self-check did not finish within {timeout:g} s.")
            return ExitCode.NOT_GRADED
    print(done.stdout.replace(str(module), f"{homework_id} (this notebook)"), end="")
    if done.returncode == ExitCode.NOT_GRADED:
        print(done.stderr, end="")
    return done.returncode


def _kernel_history() -> list[str] | None:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None:
        return None
    return list(shell.history_manager.input_hist_raw)
