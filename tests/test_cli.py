"""The `grader` command: formats, exit codes and clear errors."""

import json
import subprocess
import sys

import pytest
from helpers import ROOT

pytestmark = pytest.mark.slow


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "torchgrade", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )


def test_grade_solution_module_as_json():
    done = run("grade", "solutions/hw1_basics.py", "--format", "json", "--seed", "11")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["score"] == report["max_score"] == 15 and report["seed"] == 11
    hw = report["homeworks"][0]
    assert [s["id"] for s in hw["sections"]] == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7"]
    assert report["isolation"]["method"] in {"bubblewrap", "process"}
    assert all("details" not in t for s in hw["sections"] for t in s["tests"])


def test_grade_student_notebook_explains_every_section(tmp_path):
    out = tmp_path / "report.json"
    done = run("grade", "notebooks/hw1_basics.ipynb", "--output", str(out), "--format", "json")
    assert done.returncode == 1
    assert "0 / 15" in done.stdout
    for section in ("1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7"):
        assert f"not implemented yet ({section}:" in done.stdout
    assert json.loads(out.read_text())["score"] == 0


def test_bad_input_is_a_clear_error_not_a_traceback(tmp_path):
    done = run("grade", str(tmp_path / "nothing.ipynb"))
    assert done.returncode == 2
    assert "no such file" in done.stderr and "Traceback" not in done.stderr
    done = run("grade")
    assert done.returncode == 2 and "give a PATH" in done.stderr
