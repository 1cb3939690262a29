"""CI templates: GitHub Classroom and GitLab workflows, and Gradescope's autograder zip."""

import base64
import json
import os
import re
import stat
import subprocess
import sys
import textwrap
import urllib.parse
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml
from helpers import notebook_from_module, solution_text, write_notebook
from minicourse import make_course
from test_reports import GITHUB_SCHEMA, GRADESCOPE_SCHEMA, sample_report

from torchgrade.ci import TemplateError, gradescope_bundle, write_ci
from torchgrade.report import feedback, gradescope, not_graded

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
    # The whole reason (it names a long temporary path: the console wrapped it at 80 columns).
    assert results["output"].endswith("(expected e.g. hw1_basics.ipynb)"), results["output"]
    assert str(root / "submission") in results["output"] and results["visibility"] == "visible"


# ---------------------------------------------------------------- GitHub: every run a result

# What cli.main prints for a submission it cannot grade, wrapped as the console wraps it when
# COLUMNS is not honoured (80 columns): the reason must reach the student whole.
LONG_REASON = (
    "/home/runner/work/hw1-ivan/hw1-ivan/hw1_basics.ipynb: the notebook cannot be read "
    "(not valid JSON: Expecting value: line 1 column 1 (char 0)); save it from Jupyter "
    "and commit it again"
)
FAKE_GRADER = """\
#!{python}
# A stand-in for `grader grade`: FAKE_STATUS 2 prints an error (wrapped at 80 columns) and
# writes nothing; 0 or 1 prints a table, writes --output and publishes a result as grader does.
import os, sys, textwrap
status = int(os.environ["FAKE_STATUS"])
print("grading hw1_basics ...", file=sys.stderr)
if status == 2:
    print("\\n".join(textwrap.wrap("error: " + {reason!r}, 80)), file=sys.stderr)
    sys.exit(2)
print("SCORE TABLE hw1_basics 12 / 15")
output = sys.argv[sys.argv.index("--output") + 1]
open(output, "w").write("{{}}")
with open(os.environ["GITHUB_OUTPUT"], "a") as f:
    f.write("result=FROM_THE_GRADER\\n")
sys.exit(status)
"""
FAKE_SUDO = '#!/bin/sh\n[ "$1" = -E ] && shift\nexec "$@"\n'


def _grade_step(tmp_path, course) -> str:
    path = write_ci(
        "github", dest=tmp_path / "repo", course=course, homework="hw1_basics", grader_repo="o/g"
    )
    steps = yaml.safe_load(path.read_text())["jobs"]["run-autograding-tests"]["steps"]
    step = next(s for s in steps if s.get("id") == "torchgrade")
    assert step["shell"] == "bash"
    return step["run"]


def _run_step(script: str, tmp_path, bin_dir, **env) -> tuple[subprocess.CompletedProcess, dict]:
    """Run a workflow step as the runner does (``bash -eo pipefail``), with its files."""
    files = {name: tmp_path / name for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")}
    for file in files.values():
        file.write_text("")
    (tmp_path / "temp").mkdir(exist_ok=True)
    full_env = {
        **os.environ,
        **{k: str(v) for k, v in files.items()},
        "RUNNER_TEMP": str(tmp_path / "temp"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        **env,
    }
    (tmp_path / "step.sh").write_text(script)
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(tmp_path / "step.sh")],
        cwd=tmp_path / "repo",
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, {k: v.read_text() for k, v in files.items()}


def _fake_bin(tmp_path, grader: str | None) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    scripts = {"sudo": FAKE_SUDO, "python": f'#!/bin/sh\nexec "{sys.executable}" "$@"\n'}
    if grader is not None:
        scripts["grader"] = grader
    for name, text in scripts.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return bin_dir


def _reporter(output: str) -> tuple[dict, str]:
    """Decode the step output as autograding-grading-reporter@v1 does; what it posts."""
    results = [line.split("=", 1)[1] for line in output.splitlines() if line.startswith("result=")]
    assert len(results) == 1, output  # the reporter reads one value per runner
    result = json.loads(base64.b64decode(results[0]))
    jsonschema.validate(result, GITHUB_SCHEMA)
    assert result["max_score"] > 0  # at 0 the reporter posts no points to Classroom at all
    total = sum(test["score"] for test in result["tests"])
    return result, f"Points {total:g}/{result['max_score']:g}"


def test_github_grade_step_reports_zero_with_the_reason_when_not_graded(tmp_path, course):
    script = _grade_step(tmp_path, course)
    grader = FAKE_GRADER.format(python=sys.executable, reason=LONG_REASON)
    done, files = _run_step(script, tmp_path, _fake_bin(tmp_path, grader), FAKE_STATUS="2")
    assert done.returncode == 0, done.stderr  # the reporter step runs after this one
    assert "grading hw1_basics" in done.stdout and "grader exit status 2" in done.stdout
    result, posted = _reporter(files["GITHUB_OUTPUT"])
    assert posted == "Points 0/15" and result["status"] == "error"
    assert result["tests"][0]["message"] == LONG_REASON  # whole, unwrapped, no "error:"
    assert "Not graded" in files["GITHUB_STEP_SUMMARY"] and "char 0" in files["GITHUB_STEP_SUMMARY"]


@pytest.mark.parametrize("status", ["0", "1"])
def test_github_grade_step_shows_the_table_and_keeps_the_graders_result(tmp_path, course, status):
    script = _grade_step(tmp_path, course)
    grader = FAKE_GRADER.format(python=sys.executable, reason="")
    done, files = _run_step(script, tmp_path, _fake_bin(tmp_path, grader), FAKE_STATUS=status)
    assert done.returncode == 0, done.stderr
    assert "SCORE TABLE hw1_basics 12 / 15" in done.stdout  # in the job log, not /dev/null
    assert f"grader exit status {status}" in done.stdout
    assert files["GITHUB_OUTPUT"] == "result=FROM_THE_GRADER\n"  # nothing added after it


@pytest.mark.slow
def test_github_grade_step_with_the_real_grader_on_an_empty_checkout(tmp_path, course):
    script = _grade_step(tmp_path, course)
    bin_dir = _fake_bin(tmp_path, None)
    (bin_dir / "grader").symlink_to(Path(sys.executable).parent / "grader")
    done, files = _run_step(script, tmp_path, bin_dir)
    assert done.returncode == 0, done.stderr
    result, posted = _reporter(files["GITHUB_OUTPUT"])
    assert posted == "Points 0/15"
    message = result["tests"][0]["message"]
    assert message.startswith(".: no ") and message.endswith("(expected e.g. hw1_basics.ipynb)")
    assert "error:" in done.stdout  # the grader's own words in the job log


# ----------------------------------------------------------------- GitLab and GitHub addresses

THIS_SERVER = {
    "CI_SERVER_PROTOCOL": "https",
    "CI_SERVER_HOST": "gitlab.com",
    "CI_SERVER_PORT": "443",
}


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("org/grader", "https://USER:TOKEN@gitlab.com:443/org/grader.git"),
        ("org/sub/grader", "https://USER:TOKEN@gitlab.com:443/org/sub/grader.git"),
        ("https://gitlab.example.org/course/grader.git", "https://USER:TOKEN@gitlab.example.org/course/grader.git"),
        ("gitlab.example.org/course/grader/", "https://USER:TOKEN@gitlab.example.org/course/grader.git"),
        ("git@gitlab.example.org:course/grader.git", "https://USER:TOKEN@gitlab.example.org/course/grader.git"),
        ("https://git.uni.edu:8443/c/grader", "https://USER:TOKEN@git.uni.edu:8443/c/grader.git"),
    ],
)  # fmt: skip
def test_gitlab_grader_repo_becomes_a_clone_url_pip_can_use(tmp_path, course, given, url):
    path = write_ci(
        "gitlab", dest=tmp_path, course=course, homework="hw1_basics", grader_repo=given
    )
    text = path.read_text()
    assert not PLACEHOLDER.search(text)
    install = next(s for s in yaml.safe_load(text)["torchgrade"]["before_script"] if "git+" in s)
    # The job's shell expands the token and GitLab's predefined CI_SERVER_* variables.
    env = {**os.environ, **THIS_SERVER, "TORCHGRADE_TOKEN": "USER:TOKEN"}
    words = subprocess.run(
        ["bash", "-c", f"set -- {install.removeprefix('pip install -q ')}; echo \"$1\""],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert words == f"git+{url}@main"
    parsed = urllib.parse.urlsplit(words.removeprefix("git+"))
    assert parsed.scheme == "https" and parsed.password == "TOKEN" and parsed.path.count("@") == 1


@pytest.mark.parametrize(
    "given",
    ["https://github.com/org/grader", "github.com/org/grader.git", "git@github.com:org/grader.git"],
)
def test_github_grader_repo_is_normalised_to_owner_and_name(tmp_path, course, given):
    path = write_ci(
        "github", dest=tmp_path, course=course, homework="hw1_basics", grader_repo=given
    )
    assert "@github.com/org/grader.git@main" in path.read_text()


@pytest.mark.parametrize(
    ("provider", "given"),
    [
        ("gitlab", "grader"),
        ("gitlab", "org/gra der"),
        ("gitlab", "org/grader;rm -rf ~"),
        ("github", "org/sub/grader"),
        ("github", "https://gitlab.com/org/grader"),
    ],
)
def test_an_unusable_grader_repo_is_refused_with_the_expected_form(
    tmp_path, course, provider, given
):
    with pytest.raises(TemplateError, match="grader-repo"):
        write_ci(provider, dest=tmp_path, course=course, homework="hw1_basics", grader_repo=given)
    assert not any(tmp_path.rglob("*.yml"))


# --------------------------------------------------------------------------------- Gradescope


def test_gradescope_zip_carries_only_its_own_assignment(tmp_path, course):
    assert len(course.homeworks) > 1  # otherwise this test proves nothing
    for homework in course.homeworks:
        path = gradescope_bundle(
            tmp_path / f"{homework.id}.zip", course=course, homework=homework.id
        )
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        suites = {n.split("/")[3] for n in names if n.startswith("torchgrade/grader/suites/")}
        assert suites == {homework.id}, suites
        for package in ("solutions", "exercises"):
            members = {n.split("/", 2)[2] for n in names if n.startswith(f"torchgrade/{package}/")}
            assert members == {"__init__.py", f"{homework.id}.py"}, (package, members)


def test_gradescope_shows_totals_and_hidden_reasons_only_after_publishing():
    report = sample_report()
    results = gradescope.to_results(report)
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    # The default of every test, and the explicit visibility of each: public ones at once.
    assert results["visibility"] == "after_published"
    assert results["stdout_visibility"] == "hidden"
    raws = [t for h in report.homeworks for t in h.tests]
    for test, raw in zip(results["tests"], raws, strict=True):
        assert test["visibility"] == ("visible" if raw.public else "after_published")
    # The top-level output has no visibility of its own: nothing in it may tell a hidden result.
    output = results["output"]
    for homework in report.homeworks:
        assert feedback.points(homework.score, homework.max_points) not in output
        for section in (s for s in homework.sections if not s.problems):
            for test in (t for t in section.tests if not t.public and t.message):
                assert test.message.splitlines()[0] not in output, test.name
    assert "should be X @ w" not in output and "the grader could not" not in output
    assert "red" not in output  # the student's printed output of a hidden test
    assert "public tests: 1 of 2 passed (they carry 2.5 of 5 points)" in output
    assert "1.3    LogisticRegression" in output and "public tests 1 of 1 passed" in output
    assert "sem4_regularization: Regularization — no public test" in output
    assert "S4.1   Dropout" in output and "0 of 0" not in output
    assert "no cell starts with the marker line" in output  # about the upload: shown at once
    assert "looks like a marker but is not one" in output
    assert "appear on this page when your instructor publishes the grades" in output


def test_gradescope_report_of_public_tests_only_shows_everything_at_once():
    report = sample_report()
    for homework in report.homeworks:
        for test in homework.tests:
            test.public = True
    results = gradescope.to_results(report)
    assert results["visibility"] == "visible"
    assert all(t["visibility"] == "visible" for t in results["tests"])
    assert results["output"] == feedback.summary(report)


@pytest.mark.parametrize(
    ("log", "reason"),
    [
        ("grading ...\n" + "\n".join(textwrap.wrap("error: " + LONG_REASON, 80)), LONG_REASON),
        ("error: first\nmore progress\nerror: the last one\n", "the last one"),
        (
            "Traceback (most recent call last):\n  File x\nKeyError: 'a'\n"
            "grader error: this is a bug of the grader, not of the\nsubmission; nothing was graded",
            "this is a bug of the grader, not of the submission; nothing was graded",
        ),
        ("\x1b[31merror:\x1b[0m coloured\n", "coloured"),
        ("Killed\n", "the grader stopped (exit status 137) before it could write a report"),
    ],
)
def test_not_graded_reason_is_the_last_error_unwrapped(log, reason):
    assert not_graded.reason(log, 137) == reason


def test_gradescope_not_graded_message_is_whole_and_visible(tmp_path):
    log = tmp_path / "grader.err"
    log.write_text("\n".join(textwrap.wrap("error: " + LONG_REASON, 80)) + "\n")
    out = tmp_path / "results.json"
    assert not_graded.main(["gradescope", str(log), "--status", "2", "--output", str(out)]) == 0
    results = json.loads(out.read_text())
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    assert results["output"] == "Your submission could not be graded: " + LONG_REASON
    assert results["score"] == 0 and results["visibility"] == "visible"


def test_run_autograder_falls_back_to_a_whole_reason_when_not_graded(tmp_path, course):
    path = gradescope_bundle(tmp_path / "autograder.zip", course=course, homework="hw1_basics")
    with zipfile.ZipFile(path) as archive:
        script = tmp_path / "run_autograder"
        script.write_bytes(archive.read("run_autograder"))
    script.chmod(0o755)
    # A python whose `-m torchgrade` fails as the grader does (wrapped at 80 columns, exit 2),
    # and that runs everything else, the fallback writer included, for real.
    fake = tmp_path / "python"
    wrapped = "\n".join(textwrap.wrap("error: " + LONG_REASON, 80))
    fake.write_text(
        f'#!/bin/sh\nif [ "$1 $2" = "-m torchgrade" ]; then\n'
        f"cat >&2 <<'EOF'\n{wrapped}\nEOF\nexit 2\nfi\n"
        f'exec "{sys.executable}" "$@"\n'
    )
    fake.chmod(0o755)
    root = tmp_path / "autograder"
    env = {**os.environ, "AUTOGRADER_DIR": str(root), "TORCHGRADE_PYTHON": str(fake)}
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "grader exit status 2" in done.stdout
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    assert results["output"] == "Your submission could not be graded: " + LONG_REASON
