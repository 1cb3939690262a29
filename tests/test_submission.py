"""Loading submissions: notebooks, modules, folders and zips, and every way they go wrong."""

import zipfile

import nbformat
import pytest
from helpers import notebook_from_module, replace_chunks, solution_text, write_notebook

from torchgrade.submission import SubmissionError, load_submission

HW = "hw1_basics"


def _module(submission):
    return submission.modules[HW]


def test_notebook_cells_in_course_order(tmp_path, course):
    notebook = notebook_from_module(solution_text())
    notebook.cells.reverse()  # cell order in the notebook does not matter
    module = _module(load_submission(write_notebook(tmp_path / "mine.ipynb", notebook), course))
    keys = [c.key for c in module.cells]
    assert keys == ["imports", *course.homework(HW).exercises]
    assert module.problems == {}
    assert "cell" in module.cells[1].filename and "EXERCISE 1.1" in module.cells[1].filename


def test_syntax_error_costs_only_its_exercise(tmp_path, course):
    broken = solution_text().replace("def sigmoid(", "def sigmoid((", 1)
    module = _module(
        load_submission(
            write_notebook(tmp_path / "hw1_basics.ipynb", notebook_from_module(broken)), course
        )
    )
    assert list(module.problems) == ["sigmoid"]
    assert "syntax error" in module.problems["sigmoid"] and "line 2:" in module.problems["sigmoid"]
    assert "sigmoid" not in [c.key for c in module.cells]


def test_missing_and_renamed_cells_are_named(tmp_path, course):
    text = solution_text().replace("# EXERCISE 1.4 — bce_loss", "# EXERCISE 1.4 — bce_los")
    module = _module(
        load_submission(
            write_notebook(tmp_path / "hw1_basics.ipynb", notebook_from_module(text)), course
        )
    )
    # A mistyped name in a section of two exercises: the cell defines bce_loss, so it is read
    # as bce_loss's cell, with a note.
    assert "bce_loss" not in module.problems
    assert any("bce_los" in n and "as `# EXERCISE 1.4 — bce_loss`" in n for n in module.notes)
    start = text.index("# EXERCISE 1.4 — bce_los")
    gone = text[:start] + text[text.index("# EXERCISE 1.5", start) :]
    module = _module(
        load_submission(write_notebook(tmp_path / "gone.ipynb", notebook_from_module(gone)), course)
    )
    assert "`# EXERCISE 1.4 — bce_loss`" in module.problems["bce_loss"]


def test_duplicated_cells(tmp_path, course):
    notebook = notebook_from_module(solution_text())
    extra = next(c for c in notebook.cells if c.source.startswith("# EXERCISE 1.4 — sigmoid"))
    notebook.cells.append(nbformat.v4.new_code_cell(extra.source))  # identical copy: fine
    module = _module(load_submission(write_notebook(tmp_path / "a.ipynb", notebook), course))
    assert "sigmoid" not in module.problems
    notebook.cells.append(nbformat.v4.new_code_cell(extra.source + "\n# edited"))
    module = _module(load_submission(write_notebook(tmp_path / "b.ipynb", notebook), course))
    # Running the notebook from the top keeps the last definition: so does the grader, and
    # says so (the self-check, reading the kernel's history, grades the last run as well).
    assert "sigmoid" not in module.problems
    sigmoid = next(c for c in module.cells if c.key == "sigmoid")
    assert sigmoid.source.endswith("# edited")
    assert any("graded the last one" in n for n in module.notes), module.notes


def test_magics_are_removed_not_fatal(tmp_path, course):
    text = solution_text().replace(
        "# EXERCISE 1.4 — sigmoid\n", "# EXERCISE 1.4 — sigmoid\n%load_ext autoreload\n!pip list\n"
    )
    module = _module(
        load_submission(
            write_notebook(tmp_path / "hw1_basics.ipynb", notebook_from_module(text)), course
        )
    )
    assert module.problems == {}
    assert any("magic" in n for n in module.notes)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("hw1_basics.ipynb", b"{ not json", "cannot be read as a notebook"),
        ("hw1_basics.ipynb", b'{"cells": [', "cannot be read as a notebook"),  # truncated
        ("empty.ipynb", b"", "empty.ipynb is empty"),
        ("hw1_basics.ipynb", b"  \n", "is empty"),
        ("hw1_basics.py", b"", "is empty"),
        ("hw1_basics.py", b"\xff\xfe def f(): pass", "cannot be read as UTF-8"),
        ("essay.ipynb", b"just text", "essay.ipynb cannot be read as a notebook"),
    ],
)
def test_unreadable_input_is_not_graded_with_one_reason(tmp_path, course, name, content, reason):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(SubmissionError, match=reason):
        load_submission(tmp_path / name, course)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / name).write_bytes(content)
    with pytest.raises(SubmissionError):  # a folder holding nothing else: not graded either
        load_submission(folder, course)


def test_a_plain_module_named_after_its_student_is_recognised(tmp_path, course):
    path = tmp_path / "ivan_hw1_basics.py"
    path.write_text("import torch\n\ndef sigmoid(z):\n    return torch.sigmoid(z)\n")
    assert list(load_submission(path, course).modules) == [HW]


@pytest.mark.parametrize(
    "line",
    [
        "# exercise 1.4 — sigmoid",
        "#EXERCISE 1.4 - Sigmoid",
        "# Exercise 1.4: sigmoid  # my solution",
        "# EXERCISE 1.4 — sigmoid  # my solution",
        "# EXERCISE 1.4 -- Сигмоида, моё решение",  # a Russian title: the cell defines sigmoid
    ],
)
def test_loosely_written_markers_are_read_with_a_note(tmp_path, course, line):
    notebook = notebook_from_module(solution_text())
    cell = next(c for c in notebook.cells if c.source.startswith("# EXERCISE 1.4 — sigmoid"))
    cell.source = cell.source.replace("# EXERCISE 1.4 — sigmoid", line, 1)
    module = _module(load_submission(write_notebook(tmp_path / "n.ipynb", notebook), course))
    assert "sigmoid" not in module.problems
    assert any("read" in n and "EXERCISE 1.4 — sigmoid" in n for n in module.notes), module.notes


def test_an_ambiguous_marker_is_an_error_that_says_so(tmp_path, course):
    notebook = notebook_from_module(solution_text())
    cell = next(c for c in notebook.cells if c.source.startswith("# EXERCISE 1.4 — sigmoid"))
    cell.source = "# exercise 1.4 — моё решение\nx = 1\n"  # section 1.4 has two exercises
    module = _module(load_submission(write_notebook(tmp_path / "n.ipynb", notebook), course))
    assert "could mean" in module.problems["sigmoid"]


def test_notebook_identified_by_its_imports_marker(tmp_path, course):
    path = write_notebook(
        tmp_path / "ivanov final (2).ipynb", notebook_from_module(solution_text())
    )
    assert list(load_submission(path, course).modules) == [HW]


def test_python_module_with_and_without_markers(tmp_path, course):
    marked = tmp_path / "hw1_basics.py"
    marked.write_text(solution_text(), encoding="utf-8")
    module = _module(load_submission(marked, course))
    assert module.problems == {} and module.cells[0].key == "header"
    # Cells keep the file's own line numbers, for tracebacks.
    sigmoid = next(c for c in module.cells if c.key == "sigmoid")
    assert solution_text().splitlines()[sigmoid.line - 1].startswith("# EXERCISE 1.4 — sigmoid")
    plain = tmp_path / "plain" / "hw1_basics.py"
    plain.parent.mkdir()
    plain.write_text("import torch\n\ndef sigmoid(z):\n    return 1 / (1 + torch.exp(-z))\n")
    module = _module(load_submission(plain, course))
    assert [c.key for c in module.cells] == ["module"] and module.problems == {}
    plain.write_text("def sigmoid(z:\n")
    assert set(_module(load_submission(plain, course)).problems) == set(
        course.homework(HW).exercises
    )


def test_folder_prefers_the_notebook_and_notes_the_rest(tmp_path, course):
    write_notebook(tmp_path / "hw1_basics.ipynb", notebook_from_module(solution_text()))
    (tmp_path / "hw1_basics.py").write_text(solution_text(), encoding="utf-8")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    write_notebook(
        tmp_path / ".ipynb_checkpoints" / "hw1_basics-checkpoint.ipynb",
        notebook_from_module(solution_text()),
    )
    submission = load_submission(tmp_path, course)
    assert _module(submission).origin == "hw1_basics.ipynb"
    assert any("ignored hw1_basics.py" in n for n in submission.notes)


def test_two_notebooks_for_one_homework_is_ambiguous(tmp_path, course):
    for name in ("a.ipynb", "b.ipynb"):
        write_notebook(tmp_path / name, notebook_from_module(solution_text()))
    with pytest.raises(SubmissionError, match="submit one"):  # nothing else: not graded
        load_submission(tmp_path, course)


def test_zip_is_extracted_safely(tmp_path, course):
    archive = tmp_path / "submission.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("work/hw1_basics.ipynb", nbformat.writes(notebook_from_module(solution_text())))
        z.writestr("../escape.py", "print('outside')")
        z.writestr("/abs.py", "print('absolute')")
    submission = load_submission(archive, course)
    assert _module(submission).origin == "work/hw1_basics.ipynb"
    assert not (tmp_path.parent / "escape.py").exists()
    (tmp_path / "bad.zip").write_bytes(b"PK not really")
    with pytest.raises(SubmissionError, match="not a valid zip"):
        load_submission(tmp_path / "bad.zip", course)


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members:
            z.writestr(name, data)
    return path


def _link(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o120777 << 16
    return info


def test_unextractable_zip_members_are_skipped_with_a_note(tmp_path, course):
    """Each of these crashed the grader; now the member is skipped and the rest graded."""
    solution = solution_text()
    archive = _zip(
        tmp_path / "submission.zip",
        [
            ("a" * 300 + ".py", "x = 1"),  # a name no file system takes
            ("data", "a file"),
            ("data/x.py", "where a folder is needed"),
            ("../escape.py", "x"),
            ("/".join(["d"] * 1100) + "/deep.py", "x"),  # pathlib's mkdir recursed on this
            (_link("link.py"), "/etc/passwd"),
            ("hw1_basics.py", solution),
        ],
    )
    submission = load_submission(archive, course)
    assert _module(submission).origin == "hw1_basics.py"
    notes = "\n".join(submission.notes)
    assert "longer than 255 bytes; skipped" in notes
    assert "'data/x.py' cannot be extracted" in notes
    assert "'../escape.py' points outside the archive" in notes
    assert "nested deeper than 16 folders" in notes
    assert "'link.py' is a link" in notes


def test_corrupt_zip_members_are_skipped_and_an_empty_result_says_why(tmp_path, course):
    archive = _zip(tmp_path / "broken.zip", [("hw1_basics.py", solution_text())])
    raw = bytearray(archive.read_bytes())
    at = raw.index(b"# IMPORTS")  # stored uncompressed: flip a byte of the data, not the CRC
    raw[at] ^= 0xFF
    archive.write_bytes(bytes(raw))
    with pytest.raises(SubmissionError, match=r"'hw1_basics\.py' cannot be read .*CRC"):
        load_submission(archive, course)


def test_code_nested_too_deeply_costs_its_exercise_only(tmp_path, course):
    """A 1,500-deep attribute chain compiles, but would exhaust any recursive reader."""
    marker = "# EXERCISE 1.3 — LogisticRegression\n"
    text = solution_text().replace(marker, marker + "_deep = torch" + ".a" * 1500 + "\n", 1)
    (tmp_path / f"{HW}.py").write_text(text, encoding="utf-8")
    module = _module(load_submission(tmp_path / f"{HW}.py", course))
    assert "nested more than 200 levels deep" in module.problems["LogisticRegression"]
    assert set(module.problems) == {"LogisticRegression"}


def test_nothing_gradable_is_a_clear_error(tmp_path, course):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SubmissionError, match="no notebook or module"):
        load_submission(tmp_path, course)
    with pytest.raises(SubmissionError, match="no such file"):
        load_submission(tmp_path / "missing.ipynb", course)


def test_missing_imports_cell_falls_back_to_the_course_imports(tmp_path, course):
    text = solution_text()
    body = text[text.index("# EXERCISE 1.1") :]
    path = tmp_path / "hw1_basics.py"
    path.write_text(body, encoding="utf-8")
    module = _module(load_submission(path, course))
    assert module.cells[0].key == "imports" and "import torch" in module.cells[0].source
    assert any("no IMPORTS cell" in n for n in module.notes)


def test_replace_chunks_helper():
    fixed = replace_chunks(
        solution_text(), "# EXERCISE 1.4 — sigmoid\ndef sigmoid(z):\n    return z\n"
    )
    assert "def sigmoid(z):\n    return z" in fixed and "def bce_loss" in fixed
