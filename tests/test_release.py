"""The student bundle: public tests only, installs on a fresh venv, and the leak scan bites."""

import ast
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from helpers import ROOT, solution_text

from torchgrade.cli import main
from torchgrade.course import load_course
from torchgrade.leaks import collect_secrets, scan
from torchgrade.public_tests import public_conftest, public_tests
from torchgrade.public_tests import test_names as suite_test_names
from torchgrade.release import MARKER, build_release, is_student_bundle

SUITE = textwrap.dedent(
    '''
    """A suite with public and hidden tests."""

    import math
    import statistics as stats

    import pytest
    import torch
    from sklearn.datasets import make_moons

    from torchgrade import expect

    pytestmark = pytest.mark.section("1.1")
    SIZES = (3, 5)
    SECRET_INPUTS = [17, 23]  # only hidden tests use these


    # Shared by public and hidden tests.
    def _data(seed, n):
        return torch.randn(n, 2, generator=torch.Generator().manual_seed(seed)) * math.pi


    def _hidden_reference(seed):
        return make_moons(n_samples=SECRET_INPUTS[0], random_state=seed)


    @pytest.fixture
    def sizes():
        return SIZES


    @pytest.mark.points(0.5)
    @pytest.mark.public
    def test_public_shape(student, seed, sizes):
        X = _data(seed, sizes[0])
        expect.tensor(student.hw1_basics.standardize(X, X)[0], what="standardize", shape=(3, 2))


    @pytest.mark.points(1)
    def test_hidden_values(student, seed):
        assert _hidden_reference(seed) is not None, "hidden"


    class TestGroup:
        @pytest.mark.points(0.25)
        @pytest.mark.public
        def test_public_method(self, student):
            assert stats.mean([1, 3]) == 2, "a public method"

        @pytest.mark.points(0.25)
        def test_hidden_method(self, student):
            assert SECRET_INPUTS, "a hidden method"
    '''
)


def test_public_tests_keep_only_public_tests_and_what_they_use():
    extract = public_tests(SUITE)
    assert extract.tests == ["test_public_shape", "TestGroup::test_public_method"]
    assert extract.requested == {"student", "seed", "sizes"}
    text = extract.text
    compile(text, "extracted.py", "exec")
    for kept in ("def _data", "SIZES = (3, 5)", "def sizes", "import math", "# Shared by public"):
        assert kept in text
    assert "import statistics as stats" in text and "pytestmark =" in text
    for dropped in ("test_hidden", "_hidden_reference", "SECRET_INPUTS", "make_moons"):
        assert dropped not in text
    tree_names = suite_test_names(ast.parse(SUITE))
    assert ("test_hidden_values", False) in tree_names and ("test_public_shape", True) in tree_names
    assert public_tests(SUITE.replace("@pytest.mark.public", "")) is None
    everything = public_tests(SUITE.replace('section("1.1")', 'section("1.1"), pytest.mark.public'))
    assert everything is not None and "test_hidden_values" in everything.text


def test_conftest_keeps_requested_fixtures_hooks_and_autouse():
    conftest = textwrap.dedent(
        """
        import pytest

        BIG = 10


        def _helper():
            return BIG


        @pytest.fixture
        def wanted():
            return _helper()


        @pytest.fixture
        def secret_fixture():
            return "only hidden tests use me"


        @pytest.fixture(autouse=True)
        def always():
            yield


        def pytest_configure(config):
            pass
        """
    )
    text = public_conftest(conftest, {"wanted"})
    assert "def wanted" in text and "BIG = 10" in text and "def always" in text
    assert "pytest_configure" in text and "secret_fixture" not in text


def _bundle_of_stubs(folder: Path) -> Path:
    (folder / "exercises").mkdir(parents=True)
    shutil.copy2(ROOT / "exercises" / "hw1_basics.py", folder / "exercises" / "hw1_basics.py")
    (folder / "README.md").write_text("# Homework\n\nFill in the stubs.\n", encoding="utf-8")
    return folder


def test_leak_scan_finds_solution_bodies_and_hidden_test_names(tmp_path, course):
    secrets = collect_secrets(course)
    assert secrets.bodies and secrets.test_names
    bundle = _bundle_of_stubs(tmp_path / "bundle")
    assert scan(bundle, secrets) == []

    solution = (ROOT / "solutions" / "hw1_basics.py").read_text(encoding="utf-8")
    body = solution.split("def bce_loss(", 1)[1].split('"""', 2)[2].split("\n\n\n")[0]
    # Renamed, reformatted, comments stripped, in a notebook cell: still the solution.
    renamed = "def my_loss(X, w, y):" + "\n".join(
        line.split("  #")[0] for line in body.splitlines() if not line.strip().startswith("#")
    )
    cell = nbformat.v4.new_code_cell(renamed)
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), bundle / "notes.ipynb")
    leaks = scan(bundle, secrets)
    assert [(leak.path, leak.where) for leak in leaks] == [("notes.ipynb", "cell 1")]
    assert "bce_loss" in leaks[0].what
    (bundle / "notes.ipynb").unlink()

    # Pasted into prose, and a hidden test's name in a comment.
    with open(bundle / "README.md", "a", encoding="utf-8") as f:
        code = [line for line in body.splitlines() if not line.strip().startswith("#")]
        f.write("\nHint: " + " ".join(" ".join(code).split()) + "\n")
    hidden = sorted(secrets.test_names)[0]
    with open(bundle / "exercises" / "hw1_basics.py", "a", encoding="utf-8") as f:
        f.write(f"\n# see {hidden}\n")
    found = {(leak.path, leak.what.split(" (")[0]) for leak in scan(bundle, secrets)}
    assert ("README.md", "the body of bce_loss in solutions/hw1_basics.py") in found
    assert ("exercises/hw1_basics.py", f"the hidden test name {hidden}") in found
    shutil.copy2(ROOT / "solutions" / "hw1_basics.py", bundle / "copy.py")
    assert any(leak.where == "whole file" for leak in scan(bundle, secrets))


def _fenced(markdown: str, language: str) -> list[str]:
    """The code blocks of ``markdown`` fenced as ``language`` (indented ones included)."""
    pattern = rf"^( *)```{language}\n(.*?)^\1```$"
    return [
        textwrap.dedent(match.group(2))
        for match in re.finditer(pattern, markdown, re.MULTILINE | re.DOTALL)
    ]


def _section(markdown: str, title: str) -> str:
    return markdown.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_bundle_readme_walks_a_student_through_setup_check_and_submission(tmp_path, course):
    bundle = tmp_path / "student"
    assert build_release(bundle, course=course).leaks == []
    readme = (bundle / "README.md").read_text(encoding="utf-8")
    assert not re.search(r"__[A-Z]+__", readme) and "../" + "shared" not in readme
    first = course.homeworks[0].id

    # Where to run: this folder. Then per platform: make the venv, activate it, CPU torch, bundle.
    setup = _section(readme, "Set up (once)")
    assert "in this folder" in setup and f"cd path/to/{bundle.name}" in setup
    for language, activate in (
        ("sh", "source .venv/bin/activate"),
        ("powershell", r".venv\Scripts\Activate.ps1"),
    ):
        lines = _fenced(setup, language)[0].splitlines()
        assert lines[0].endswith("-m venv .venv") and lines[1] == activate, lines
        assert lines[2].startswith("pip install torch==") and lines[2].endswith(
            "--index-url https://download.pytorch.org/whl/cpu"
        )  # a CPU build: a plain `pip install torch` on Linux pulls CUDA
        assert lines[3] == 'pip install ".[notebooks]"'
    for script in _fenced(readme, "sh"):
        assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0, script
    assert f"grader grade notebooks/{first}.ipynb" in _fenced(readme, "sh")[-1]
    assert f'check("{course.homeworks[0].sections[0].id}")' in readme  # one section at a time

    # Exactly which file to submit, per assignment; every bundle path the README names exists.
    submit = _section(readme, "What to submit")
    for homework in course.homeworks:
        assert f"- `{homework.id}`: `notebooks/{homework.id}.ipynb`" in submit
    named = re.findall(r"(?:notebooks|exercises)[/\\][\w.]+\.(?:ipynb|py)", readme)
    assert named and all((bundle / name.replace("\\", "/")).is_file() for name in named), named

    # Windows: WSL, or native with the self-check in-process and said so, and `grader grade`.
    windows = _section(readme, "Windows")
    assert "WSL" in windows and "wsl --install" in windows
    assert _fenced(windows, "powershell") == [f"grader grade notebooks\\{first}.ipynb --public\n"]
    assert "**The self-check on native Windows runs your code in-process.**" in windows

    # Colab: the bundle installed with pip in the notebook's first cell.
    colab = _section(readme, "Google Colab")
    assert "**first cell**" in colab
    cell = _fenced(colab, "")[0]
    assert f"pip install -q ./{bundle.name}" in cell and cell.startswith("!")


def _local_cpu_torch_wheel() -> str | None:
    """A CPU torch wheel on this machine's disk (pip's find-links): never a CUDA download."""
    version = __import__("torch").__version__.split("+")[0]
    folders = [*os.environ.get("PIP_FIND_LINKS", "").split(), "/opt/wheels"]
    for folder in folders:
        folder = folder.removeprefix("file://")
        pattern = os.path.join(folder, f"torch-{version}+cpu-*.whl")
        wheels = sorted(glob.glob(pattern))
        if wheels:
            return wheels[0]
    return None


@pytest.mark.slow
def test_bundle_installs_on_a_fresh_venv_self_checks_and_leaks_nothing(tmp_path):
    wheel = _local_cpu_torch_wheel()
    if wheel is None:
        pytest.skip("no CPU torch wheel on this machine's disk; not downloading one")
    # The fresh venv and its torch install while the bundle is built and checked.
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    setup = subprocess.Popen(
        f"{shlex.quote(sys.executable)} -m venv {shlex.quote(str(venv))} && "
        f"{shlex.quote(str(python))} -m pip install -q --no-compile {shlex.quote(wheel)}",
        shell=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        course = load_course()
        bundle = tmp_path / "student"
        result = build_release(bundle, course=course, homeworks=["hw1_basics"])
        assert result.leaks == [], result.leaks
        assert main(["release", str(bundle), "--scan-only"]) == 0
        suites = bundle / "grader" / "suites"
        assert json.loads((suites / MARKER).read_text())["public_only"] is True
        assert not (bundle / "solutions").exists()
        assert (bundle / "notebooks" / "hw1_basics.ipynb").is_file()
        assert (bundle / "exercises" / "hw1_basics.py").is_file()
        assert list((suites / "hw1_basics").glob("test_*.py")), "hw1 has public tests"
        for path in (suites / "hw1_basics").glob("*.py"):
            names = suite_test_names(ast.parse(path.read_text()))
            assert names and all(public for _, public in names), path
        work = tmp_path / "work"
        work.mkdir()
        (work / "hw1_basics.py").write_text(solution_text(), encoding="utf-8")
        # In a bundle a plain `grader grade` is a self-check: the plugin would refuse its
        # public suites (fewer points than the course table) if it were not.
        bundle_course = bundle / "grader" / "course.toml"
        assert is_student_bundle(load_course(bundle_course))
        assert main(["--course", str(bundle_course), "grade", str(work / "hw1_basics.py")]) == 0
    finally:
        installed = setup.communicate(timeout=540)[0]
    assert setup.returncode == 0, installed[-3000:]

    quiet = {"capture_output": True, "text": True, "timeout": 540}
    # torch is there already, so the bundle's torch>=2.2 never pulls another build.
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-compile", str(bundle)], **quiet
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # What the notebook's self-check cell runs (grader/selfcheck.py), in the fresh venv.
    done = subprocess.run(
        [str(python), "-m", "torchgrade", "grade", "hw1_basics.py", "--public"], cwd=work, **quiet
    )
    assert done.returncode == 0, done.stdout + done.stderr  # every public test passes
    assert "public tests only" in done.stdout and "hw1_basics" in done.stdout
    # The README's check of the saved notebook, run where it says: in the bundle's folder.
    readme = (bundle / "README.md").read_text(encoding="utf-8")
    check = _fenced(readme, "sh")[-1].strip()
    assert check == "grader grade notebooks/hw1_basics.ipynb", check
    grader = venv / "bin" / "grader"
    done = subprocess.run([str(grader), *shlex.split(check)[1:]], cwd=bundle, **quiet)
    assert done.returncode == 1, done.stdout + done.stderr  # the stubs fail their public tests
    assert "public tests only" in done.stdout and "hw1_basics" in done.stdout

    # A solution body slipped into the bundle afterwards: the scan fails loudly.
    with open(bundle / "exercises" / "hw1_basics.py", "a", encoding="utf-8") as f:
        f.write("\n\n" + solution_text().split("# EXERCISE 1.4 — bce_loss", 1)[1])
    assert main(["release", str(bundle), "--scan-only"]) == 1
