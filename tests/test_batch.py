"""Batch grading: a class of 30 submissions into a gradebook, nothing lost, resumable."""

import csv
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from helpers import ROOT, notebook_from_module, replace_chunks, solution_text, write_notebook
from minicourse import HIDDEN_LINES, chunk, make_course

from torchgrade.batch import discover, student_id

SCHEMA = json.loads((ROOT / "grader" / "schemas" / "report.schema.json").read_text())

BIAS = chunk(
    """
    # EXERCISE 1.3 — LogisticRegression
    class LogisticRegression(nn.Module):
        def __init__(self, in_features):
            super().__init__()
            self.w = nn.Parameter(torch.randn(in_features, 1))

        def forward(self, X):
            return X @ self.w + 1.0  # a bias the contract does not have
    """
)
FLAT_LOGITS = chunk(
    """
    # EXERCISE 1.3 — LogisticRegression
    class LogisticRegression(nn.Module):
        def __init__(self, in_features):
            super().__init__()
            self.w = nn.Parameter(torch.randn(in_features, 1))

        def forward(self, X):
            return (X @ self.w).squeeze(1)  # (n,) instead of (n, 1)
    """
)
SIGMOID_SIGN = chunk(
    """
    # EXERCISE 1.4 — sigmoid
    def sigmoid(z):
        return 1 / (1 + torch.exp(z))  # right at 0, wrong everywhere else
    """
)
BCE_SUM = chunk(
    """
    # EXERCISE 1.4 — bce_loss
    def bce_loss(X, w, y):
        z = (X @ w).squeeze(1)
        return (torch.clamp(z, min=0) - y * z + torch.log1p(torch.exp(-z.abs()))).sum()
    """
)
CHEAT_ALLCLOSE = chunk(
    """
    # IMPORTS — hw1_basics
    import torch
    from torch import nn

    torch.allclose = lambda *args, **kwargs: True  # changes only the worker's torch
    """
)
LIBRARY_SIGMOID = chunk(
    """
    # EXERCISE 1.4 — sigmoid
    def sigmoid(z):
        return torch.sigmoid(z)  # forbidden in this exercise
    """
)
EXIT_IN_SIGMOID = chunk(
    """
    # EXERCISE 1.4 — sigmoid
    def sigmoid(z):
        import os

        os._exit(3)
    """
)
EXIT_AT_IMPORT = chunk(
    """
    # EXERCISE 1.4 — sigmoid
    import os

    os._exit(3)


    def sigmoid(z):
        return 1 / (1 + torch.exp(-z))
    """
)
LOOP_IN_BCE = chunk(
    """
    # EXERCISE 1.4 — bce_loss
    def bce_loss(X, w, y):
        while True:
            pass
    """
)
LOOP_AT_IMPORT = chunk(
    """
    # EXERCISE 1.3 — LogisticRegression
    while True:
        pass
    """
)
SYNTAX_ERROR = chunk(
    """
    # EXERCISE 1.4 — sigmoid
    def sigmoid(z)
        return 1 / (1 + torch.exp(-z))
    """
)
RAISES = chunk(
    """
    # EXERCISE 1.4 — sigmoid
    def _check(z):
        if z.dim() > 1:
            raise ValueError("only vectors, please")


    def sigmoid(z):
        _check(z)
        return 1 / (1 + torch.exp(-z))
    """
)
PRINTS = chunk(
    """
    # EXERCISE 1.4 — sigmoid
    def sigmoid(z):
        print("\\x1b[2J all tests passed, score 100/100")
        return 1 / (1 + torch.exp(-z))
    """
)

# student -> (1.3, 1.4, total, mark) with mark_divisor 2 and rounding half up; None: not graded
EXPECTED: dict[str, tuple | None] = {}


def _class(folder: Path) -> None:
    """30 submissions: correct ones in every container, buggy, crashing, hanging, broken."""
    solution = solution_text()
    stub = (ROOT / "exercises" / "hw1_basics.py").read_text(encoding="utf-8")

    def module(student: str, text: str, expected, notebook: bool = False) -> None:
        if notebook:
            write_notebook(folder / f"{student}_hw1_basics.ipynb", notebook_from_module(text))
        else:
            (folder / f"{student}_hw1_basics.py").write_text(text, encoding="utf-8")
        EXPECTED[student] = expected

    full = (1, 2, 3, 2)  # 3 / 2 = 1.5 rounds up to 2
    for n in range(1, 9):
        module(f"correct{n:02d}", solution, full, notebook=n % 2 == 0)
    (folder / "dora").mkdir()  # a folder submission
    write_notebook(folder / "dora" / "hw1_basics.ipynb", notebook_from_module(solution))
    EXPECTED["dora"] = full
    with zipfile.ZipFile(folder / "erin.zip", "w") as archive:  # a zip submission
        archive.writestr("erin/hw1_basics.py", solution)
    EXPECTED["erin"] = full
    module("bias", replace_chunks(solution, BIAS), (0.5, 2, 2.5, 1))  # 1.25 -> 1
    module("flat", replace_chunks(solution, FLAT_LOGITS), (0, 2, 2, 1), notebook=True)
    module("sign", replace_chunks(solution, SIGMOID_SIGN), (1, 1.5, 2.5, 1))
    module("bcesum", replace_chunks(solution, BCE_SUM), (1, 1, 2, 1))
    module("cheat", replace_chunks(solution, CHEAT_ALLCLOSE + "\n\n" + BCE_SUM), (1, 1, 2, 1))
    module("library", replace_chunks(solution, LIBRARY_SIGMOID), (1, 1, 2, 1))
    module("exitcall", replace_chunks(solution, EXIT_IN_SIGMOID), (1, 1, 2, 1))
    # A cell that kills the worker as it loads costs its whole section: 1 / 2 = 0.5 -> 1.
    module("exitload", replace_chunks(solution, EXIT_AT_IMPORT), (1, 1, 2, 1), notebook=True)
    module("loopcall", replace_chunks(solution, LOOP_IN_BCE), (1, 1, 2, 1))
    module("loopload", replace_chunks(solution, LOOP_AT_IMPORT), (0, 2, 2, 1))
    module("syntax", replace_chunks(solution, SYNTAX_ERROR), (1, 1, 2, 1), notebook=True)
    module("printer", replace_chunks(solution, PRINTS), full)
    module("stub", stub, (0, 0, 0, 0), notebook=True)
    module("nobce", solution.replace("# EXERCISE 1.4 — bce_loss", "# bce_loss"), (1, 1, 2, 1))
    (folder / "gina_hw1_basics.ipynb").write_text('{"cells": [oops', encoding="utf-8")
    EXPECTED["gina"] = None  # a broken notebook: not graded, and why
    (folder / "hank.zip").write_bytes(b"this is not a zip file")
    EXPECTED["hank"] = None  # nothing gradable: a row that says why
    module("raises", replace_chunks(solution, RAISES), (1, 1.5, 2.5, 1))
    for n in range(1, 4):
        module(f"late{n}", solution, full, notebook=n % 2 == 1)
    (folder / "notes.txt").write_text("not a submission", encoding="utf-8")
    assert len(EXPECTED) == 30


def _grader(course_toml: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "torchgrade", "--course", str(course_toml), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def _rows(path: Path) -> dict[str, dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def test_student_ids_and_grouping(tmp_path, course):
    for name in ("alice_hw1_basics.ipynb", "alice-sem4_regularization.py", "bob.ipynb"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    (tmp_path / "carol").mkdir()
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / "gradebook.csv").write_text("", encoding="utf-8")
    items, notes = discover([tmp_path], course)
    assert {i.student: [p.name for p in i.paths] for i in items} == {
        "alice": ["alice-sem4_regularization.py", "alice_hw1_basics.ipynb"],
        "bob": ["bob.ipynb"],
        "carol": ["carol"],
    }
    assert any("gradebook.csv" in n for n in notes)
    assert student_id(Path("hw1_basics_ivan.petrov.ipynb"), course) == "ivan.petrov"
    assert student_id(Path("hw1_basics.ipynb"), course) == "hw1_basics"
    items, _ = discover([str(tmp_path / "alice*")], course)
    assert [i.student for i in items] == ["alice"]


@pytest.mark.slow
def test_a_class_of_30_into_a_gradebook(tmp_path):
    course = make_course(tmp_path / "course")
    table = course.table
    subs = tmp_path / "submissions"
    subs.mkdir()
    _class(subs)
    gradebook = tmp_path / "gradebook.csv"

    done = _grader(table, "batch", str(subs), "--csv", str(gradebook), "--jobs", "2")
    assert done.returncode == 3, done.stderr  # two submissions could not be graded
    rows = _rows(gradebook)
    possible = rows.pop("Points Possible")
    assert sorted(rows) == sorted(EXPECTED), "every student has exactly one row"
    header = list(next(iter(rows.values())))
    assert header[:5] == ["student", "status", "1.3", "1.4", "HW1"]
    assert header[5:] == ["homework", "exam", "total", "mark", "flags", "reason", "seed", "sources"]
    maxima = [possible[k] for k in ("1.3", "1.4", "HW1", "total", "mark")]
    assert maxima == ["1", "2", "3", "3", "2"]
    for student, expected in EXPECTED.items():
        row = rows[student]
        assert row["flags"] == "" and row["exam"] == "", row  # the mini course has no exam
        if expected is None:
            assert row["status"] == "not graded" and row["reason"], row
            assert row["total"] == "0" and row["mark"] == "0"
            continue
        got = tuple(float(row[k]) for k in ("1.3", "1.4", "total", "mark"))
        assert row["status"] == "graded", row
        assert got == expected, (student, row)
        assert float(row["HW1"]) == float(row["homework"]) == expected[2]
        assert (row["reason"] == "") == (expected[2] == 3), (student, row["reason"])
    assert "cannot be read as a notebook" in rows["gina"]["reason"]
    assert "zip" in rows["hank"]["reason"]
    assert "syntax error" in rows["syntax"]["reason"]
    assert "did not finish" in rows["loopload"]["reason"]
    assert "forbidden" in rows["library"]["reason"] or "torch.sigmoid" in rows["library"]["reason"]

    reports = tmp_path / "gradebook_reports"
    entries = {p.stem: json.loads(p.read_text()) for p in reports.glob("*.json")}
    assert len(entries) == 30
    texts = []
    for entry in entries.values():
        if entry["report"]:
            jsonschema.validate(entry["report"], SCHEMA)
            for homework in entry["report"]["homeworks"]:
                for section in homework["sections"]:
                    texts += [section["reason"], *section["problems"]]
                    texts += [t["message"] + t["output"] for t in section["tests"]]
    # Feedback never quotes the hidden tests' code, whatever failed.
    feedback = "\n".join(texts)
    assert "not implemented yet" in feedback and "X @ w" in feedback
    for line in HIDDEN_LINES:
        assert line not in feedback
    assert (reports / "printer.txt").read_text().count("\x1b") == 0
    # A student's exception: its type and message, and a traceback of the student's lines only.
    raised = entries["raises"]["report"]["homeworks"][0]["sections"][1]["tests"][1]["message"]
    assert "ValueError: only vectors, please" in raised
    assert 'raise ValueError("only vectors, please")' in raised and "_check(z)" in raised
    assert "raises_hw1_basics.py" in raised and "grader" not in raised.replace("hw1_basics", "")

    # Resumed: every submission is already graded, nothing runs again.
    stamps = {p.name: p.stat().st_mtime_ns for p in reports.glob("*.json")}
    done = _grader(table, "batch", str(subs), "--csv", str(gradebook), "--jobs", "2")
    assert done.returncode == 3
    assert "0 graded now, 30 already graded" in done.stderr, done.stderr
    assert {p.name: p.stat().st_mtime_ns for p in reports.glob("*.json")} == stamps
    assert _rows(gradebook) == {"Points Possible": possible, **rows}

    # --force regrades what it is given (one student), and the gradebook keeps everyone.
    before = entries["bias"]["graded_at"], stamps["bias.json"]
    done = _grader(table, "batch", str(subs / "bias*"), "--csv", str(gradebook), "--force")
    assert done.returncode == 0, done.stderr
    assert "1 graded now, 0 already graded" in done.stderr
    assert (reports / "bias.json").stat().st_mtime_ns != before[1]
    again = _rows(gradebook)
    del again["Points Possible"]
    assert sorted(again) == sorted(EXPECTED) and again["bias"]["1.3"] == "0.5"


FAKE_GRADER = """
import json, os, sys, time
for line in sys.stdin:
    path = json.loads(line)["path"]
    if path.endswith("crash"):
        os._exit(7)
    if path.endswith("hang"):
        time.sleep(600)
    print(json.dumps({"ok": True, "exit_code": 0, "table": path}), flush=True)
"""


def test_a_grader_process_that_dies_or_hangs_costs_one_row_only(tmp_path):
    from torchgrade.batch import _Server

    server = _Server([sys.executable, "-c", FAKE_GRADER], tmp_path / "batch.log")
    out = tmp_path / "report.json"
    assert server.grade(tmp_path / "fine", out, timeout_s=30)["ok"]
    assert server.last_table.endswith("fine")
    reply = server.grade(tmp_path / "crash", out, timeout_s=30)
    assert not reply["ok"] and "exited with status 7 while grading" in reply["error"]
    assert server.grade(tmp_path / "fine", out, timeout_s=30)["ok"]  # a fresh process
    reply = server.grade(tmp_path / "hang", out, timeout_s=1)
    assert not reply["ok"] and "did not finish within 1 s" in reply["error"]
    assert server.proc is None  # stopped, not left behind
    assert server.grade(tmp_path / "fine", out, timeout_s=30)["ok"]
    server.close()
