"""Helpers shared by the project's tests: paths, notebooks built from module text, processes.

Imported as ``from helpers import ...`` (pytest puts tests/ on the path); fixtures and hooks
stay in conftest.py, which tests never import.
"""

import os
import time
from pathlib import Path

import nbformat
import pytest

from torchgrade.cells import split_module

ROOT = Path(__file__).resolve().parent.parent


def solution_text(homework: str = "hw1_basics") -> str:
    return (ROOT / "solutions" / f"{homework}.py").read_text(encoding="utf-8")


def notebook_from_module(text: str, *, prose: bool = True) -> nbformat.NotebookNode:
    """A notebook like a student's: one code cell per marked chunk, markdown in between."""
    _, chunks = split_module(text)
    cells = []
    for chunk in chunks:
        if prose:
            cells.append(nbformat.v4.new_markdown_cell(f"About {chunk.marker.name}."))
        cells.append(nbformat.v4.new_code_cell(chunk.source))
    cells.append(nbformat.v4.new_code_cell("print('an experiment the grader never runs')"))
    return nbformat.v4.new_notebook(cells=cells)


def write_notebook(path: Path, notebook) -> Path:
    path.write_text(nbformat.writes(notebook), encoding="utf-8")
    return path


def replace_chunks(text: str, replacement: str) -> str:
    """``text`` with each marked chunk of ``replacement`` swapped in for its namesake."""
    header, chunks = split_module(text)
    _, new = split_module(replacement)
    by_key = {(c.marker.kind, c.marker.name): c for c in new}
    unknown = set(by_key) - {(c.marker.kind, c.marker.name) for c in chunks}
    if unknown:  # a mistyped marker would silently test the unchanged solution
        raise ValueError(f"chunks with no counterpart in the solution: {sorted(unknown)}")
    out = [by_key.get((c.marker.kind, c.marker.name), c).source for c in chunks]
    return "\n\n\n".join([header, *out]) + "\n"


def require_bwrap() -> bool:
    """CI sets TORCHGRADE_REQUIRE_BWRAP=1: there a missing bubblewrap fails instead of skipping."""
    return os.environ.get("TORCHGRADE_REQUIRE_BWRAP") == "1"


def need_bwrap(why: str) -> None:
    """Skip a test that needs bubblewrap where it is missing; fail instead where CI wants it."""
    from torchgrade.sandbox.policy import bwrap_available

    if not bwrap_available():
        (pytest.fail if require_bwrap() else pytest.skip)(f"bubblewrap is not usable here: {why}")


def gone(uid: int, within: float = 5.0) -> bool:
    """Whether every process of ``uid`` has disappeared (the zygote reaps after answering)."""
    give_up = time.monotonic() + within
    while processes_of(uid) and time.monotonic() < give_up:
        time.sleep(0.05)
    return not processes_of(uid)


def processes_of(uid: int) -> list[str]:
    return [p for p in os.listdir("/proc") if p.isdigit() and _uid(p) == uid]


def _uid(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None
