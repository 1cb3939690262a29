"""Notebooks: generated from their sources, in sync, and they run.

The solved notebook (solutions in the exercise cells) executes top to bottom in a real
kernel, self-check included; the student notebook runs until the first experiment that
needs an unsolved exercise, and stops there with that exercise's NotImplementedError.
"""

import nbformat
import pytest

from torchgrade import notebooks
from torchgrade.course import load_course

# Every shipped assignment of the course table has a notebook.
HOMEWORKS = [a.id for a in load_course().homeworks]


@pytest.mark.parametrize("homework", HOMEWORKS)
def test_committed_notebook_is_in_sync_with_its_sources(course, homework):
    assert notebooks.out_of_date(course, homework) is None


@pytest.mark.parametrize("homework", HOMEWORKS)
def test_notebook_structure(course, homework):
    notebook = notebooks.build_notebook(course, homework, solved=False)
    tagged = [
        (c.metadata.get("tags", [None])[0], c.source.splitlines()[0])
        for c in notebook.cells
        if c.cell_type == "code" and c.metadata.get("tags")
    ]
    exercises = course.homework(homework).exercises
    assert tagged[0] == ("imports", f"# IMPORTS — {homework}")
    assert [line.rsplit("— ", 1)[1] for tag, line in tagged if tag == "exercise"] == list(exercises)
    assert tagged[-1][0] == "self-check" and notebook.cells[-1].metadata["tags"] == ["self-check"]
    assert nbformat.validate(notebook) is None


def test_source_errors_are_reported(course, tmp_path):
    bad = "Intro\n\n<!-- cell: imports -->\n\n```python\nx = 1\n"
    with pytest.raises(notebooks.NotebookSourceError, match="not closed"):
        notebooks._parse(bad)


@pytest.mark.slow
@pytest.mark.parametrize("homework", HOMEWORKS)
def test_solved_notebook_runs_top_to_bottom(course, homework, tmp_path):
    solved = notebooks.build_notebook(course, homework, solved=True)
    assert notebooks.execute(solved, cwd=tmp_path) is None
    self_check = solved.cells[-1]
    printed = "".join(o.get("text", "") for o in self_check.outputs)
    assert "public tests only" in printed and "Failed tests" not in printed, printed


@pytest.mark.slow
@pytest.mark.parametrize("homework", HOMEWORKS)
def test_student_notebook_stops_at_the_first_unsolved_exercise(course, homework, tmp_path):
    student = notebooks.build_notebook(course, homework, solved=False)
    first = course.homework(homework).sections[0]
    failure = notebooks.execute(student, cwd=tmp_path)
    assert failure is not None and failure[0] == "NotImplementedError"
    assert failure[1].startswith(f"{first.id}: "), failure
