"""CI templates: GitHub Classroom and GitLab workflows, and Gradescope's autograder zip."""

import json
import os
import re
import stat
import subprocess
import sys
import zipfile

import jsonschema
import pytest
import yaml
from helpers import notebook_from_module, solution_text, write_notebook
from minicourse import make_course
from test_reports import GRADESCOPE_SCHEMA

from grader.ci import TemplateError, gradescope_bundle, write_ci

PLACEHOLDER = re.compile(r"__[A-Z_]+__")


def test_github_classroom_workflow_feeds_the_grading_reporter(tmp_path, course):
    path = write_ci(
        "github", dest=tmp_path, course=course, homework="hw1_basics", grader_repo="org/grader"
    )
    assert path == tmp_path / ".github" / "workflows" / "classroom.yml"
    text = path.read_text()
    assert not PLACEHOLDER.search(text)
    workflow = yaml.safe_load(text)
    assert workflow["permissions"]["checks"] == "write"
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    grade = next(s for s in steps if "grader grade" in s.get("run", ""))
    reporter = next(s for s in steps if "autograding-grading-reporter" in s.get("uses", ""))
    # The reporter reads <RUNNER>_RESULTS for each runner id (alphanumeric ids only).
    runner = grade["id"]
    assert re.fullmatch(r"[a-zA-Z0-9]+", runner) and reporter["with"]["runners"] == runner
    env = reporter["env"][f"{runner.upper()}_RESULTS"]
    assert env == f"${{{{ steps.{runner}.outputs.result }}}}"
    assert "--homework hw1_basics --format github" in grade["run"]
    install = next(s for s in steps if "TORCHGRADE_TOKEN" in s.get("env", {}))
    assert install["env"]["TORCHGRADE_TOKEN"] == "${{ secrets.TORCHGRADE_TOKEN }}"
    assert "github.com/org/grader.git@main" in install["run"]
    assert "download.pytorch.org/whl/cpu" in install["run"]  # never a CUDA build
    assert "chmod -R go-rwx" in install["run"]  # the hidden suites: root only

    with pytest.raises(TemplateError, match="exists"):
        write_ci("github", dest=tmp_path, course=course, homework="hw1_basics", grader_repo="o/g")
    with pytest.raises(TemplateError, match="grader-repo"):
        write_ci("github", dest=tmp_path / "x", course=course, homework="hw1_basics")
    with pytest.raises(TemplateError, match="homework"):
        write_ci("github", dest=tmp_path / "x", course=course, grader_repo="o/g")


def test_gitlab_job_reports_junit_and_keeps_the_json(tmp_path, course):
    path = write_ci(
        "gitlab",
        dest=tmp_path,
        course=course,
        homework="sem4_regularization",
        grader_repo="https://gitlab.example.org/course/grader.git",
        grader_ref="v1",
    )
    text = path.read_text()
    assert path.name == ".gitlab-ci.yml" and not PLACEHOLDER.search(text)
    job = yaml.safe_load(text)["torchgrade"]
    assert any("--homework sem4_regularization" in line for line in job["script"])
    assert job["artifacts"]["reports"]["junit"] == "torchgrade.xml"
    assert job["allow_failure"] == {"exit_codes": [1]}  # points lost is not a broken job
    installs = " ".join(job["before_script"])
    assert "${TORCHGRADE_TOKEN}@gitlab.example.org/course/grader.git@v1" in installs


def test_gradescope_zip_has_both_scripts_at_its_root(tmp_path, course):
    path = gradescope_bundle(tmp_path / "autograder.zip", course=course, homework="hw1_basics")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
    assert names[:2] == ["setup.sh", "run_autograder"]
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert "torchgrade/pyproject.toml" in names and "torchgrade/grader/course.toml" in names
    assert any(n.startswith("torchgrade/grader/suites/hw1_basics/test_") for n in names)
    assert "torchgrade/solutions/hw1_basics.py" in names  # Gradescope keeps the zip private
    assert not any(
        part in n for n in names for part in ("/.git", "__pycache__", "/tests/", ".venv")
    )
    assert not PLACEHOLDER.search(setup + run)
    assert "--homework hw1_basics --format gradescope" in run
    assert "download.pytorch.org/whl/cpu" in setup
    for script in (setup, run):
        assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0


@pytest.mark.slow
def test_run_autograder_writes_results_json_even_when_nothing_is_gradable(tmp_path, course):
    path = gradescope_bundle(tmp_path / "autograder.zip", course=course, homework="hw1_basics")
    with zipfile.ZipFile(path) as archive:
        script = tmp_path / "run_autograder"
        script.write_bytes(archive.read("run_autograder"))
    script.chmod(0o755)
    mini = make_course(tmp_path / "mini")
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    write_notebook(root / "submission" / "hw1_basics.ipynb", notebook_from_module(solution_text()))
    env = {
        **os.environ,
        "AUTOGRADER_DIR": str(root),  # Gradescope's /autograder, for a dry run
        "TORCHGRADE_PYTHON": sys.executable,
        "TORCHGRADE_GRADER_ARGS": f"--course {mini.table}",
    }
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    assert results["score"] == 3 and len(results["tests"]) == 5

    for item in (root / "submission").iterdir():
        item.unlink()
    (root / "submission" / "readme.txt").write_text("oops, wrong upload")
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    assert results["score"] == 0 and "could not be graded" in results["output"]
