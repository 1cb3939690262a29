"""``grader release``: the student bundle, and the proof that nothing secret is in it.

The bundle is what students get, and installs with ``pip install ./bundle``::

    pyproject.toml, README.md     from grader/templates/release/ (filled in): set-up on
                                  Linux, macOS, Windows and Colab, what to submit
    exercises/<hw>.py             the stubs
    notebooks/<hw>.ipynb          the student notebooks, generated from their sources
    grader/                       the grader package without its hidden suites, plus
      suites/<hw>/test_*.py         the public tests only (torchgrade.public_tests)
      suites/RELEASE.json           the marker: every run here is a self-check

Then the whole bundle is scanned (:mod:`torchgrade.leaks`) for every solution body and every
hidden test name; a leak makes ``grader release`` fail (exit 1) and lists where it is.
In a bundle ``grader grade`` implies ``--public`` (:func:`is_student_bundle`): the plugin
would refuse the public suites otherwise, their points being fewer than the course's.
"""

import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from torchgrade import notebooks, public_tests
from torchgrade.ci import torch_version
from torchgrade.course import PACKAGE_DIR, Course, Homework
from torchgrade.errors import GraderError
from torchgrade.leaks import Leak, collect_secrets, scan
from torchgrade.version import grader_version

MARKER = "RELEASE.json"
TEMPLATES = PACKAGE_DIR / "templates" / "release"
# Never copied from the grader package: the hidden suites, caches, build leftovers.
_SKIP = shutil.ignore_patterns("suites", "__pycache__", "*.pyc", "*.egg-info", ".*")


class ReleaseError(GraderError):
    """The bundle cannot be built; the message says why."""


@dataclass
class ReleaseResult:
    """What ``build_release`` wrote, what it noticed, and the leaks found (none, hopefully)."""

    outdir: Path
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    leaks: list[Leak] = field(default_factory=list)


def is_student_bundle(course: Course) -> bool:
    """Whether this course's suites are a student bundle's public tests only."""
    return (course.suites_dir / MARKER).is_file()


def build_release(
    outdir: Path,
    *,
    course: Course,
    homeworks: list[str] | None = None,
    force: bool = False,
) -> ReleaseResult:
    """Write the student bundle into ``outdir`` and scan it for leaks.

    Raises:
        ReleaseError: ``outdir`` is not empty (without ``force``), or a stub is missing.
    """
    if is_student_bundle(course):
        raise ReleaseError("this is a student bundle already: release from the course repository")
    chosen = course.select(homeworks)
    outdir = Path(outdir)
    if outdir.exists() and any(outdir.iterdir()):
        if not force:
            raise ReleaseError(f"{outdir} is not empty (--force replaces it)")
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    result = ReleaseResult(outdir)
    _copy_grader(course, outdir / "grader", result)
    for homework in chosen:
        _exercises(course, homework, outdir, result)
        _notebook(course, homework, outdir, result)
        _public_suite(course, homework, outdir / "grader" / "suites", result)
    marker = {
        "public_only": True,
        "homeworks": [h.id for h in chosen],
        "grader_version": grader_version(),
        "released": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    _write(outdir / "grader" / "suites" / MARKER, json.dumps(marker, indent=2) + "\n", result)
    _project_files(course, chosen, outdir, result)
    result.leaks = scan_release(outdir, course=course)
    return result


def scan_release(bundle: Path, *, course: Course) -> list[Leak]:
    """Every solution body and hidden test name of ``course`` found in ``bundle``."""
    bundle = Path(bundle)
    if not bundle.is_dir():
        raise ReleaseError(f"no bundle at {bundle}")
    return scan(bundle, collect_secrets(course))


def _copy_grader(course: Course, target: Path, result: ReleaseResult) -> None:
    shutil.copytree(PACKAGE_DIR, target, ignore=_SKIP)
    # The course's own table (it may not be the package's: a course kept elsewhere).
    shutil.copy2(course.table or PACKAGE_DIR / "course.toml", target / "course.toml")
    (target / "suites").mkdir()
    result.files.append(target)


def _exercises(course: Course, homework: Homework, outdir: Path, result: ReleaseResult) -> None:
    stub = course.module_path("exercises", homework.id)
    if not stub.is_file():
        raise ReleaseError(f"{homework.id}: no stub module at {stub}")
    package = outdir / "exercises"
    package.mkdir(exist_ok=True)
    init = course.root / "exercises" / "__init__.py"
    if not (package / "__init__.py").exists():
        _write(
            package / "__init__.py",
            init.read_text(encoding="utf-8") if init.is_file() else "",
            result,
        )
    _write(package / stub.name, stub.read_text(encoding="utf-8"), result)


def _notebook(course: Course, homework: Homework, outdir: Path, result: ReleaseResult) -> None:
    """The student notebook, built from its sources (the committed JSON may be stale)."""
    target = outdir / "notebooks" / f"{homework.id}.ipynb"
    target.parent.mkdir(exist_ok=True)
    if course.notebook_source(homework.id).is_file():
        notebook = notebooks.build_notebook(course, homework.id, solved=False)
        _write(target, notebooks.notebook_text(notebook), result)
    elif course.notebook_path(homework.id).is_file():
        shutil.copy2(course.notebook_path(homework.id), target)
        result.files.append(target)
        result.notes.append(f"{homework.id}: no notebook source; copied the committed notebook")
    else:
        result.notes.append(f"{homework.id}: no notebook; students get exercises/ only")


def _public_suite(course: Course, homework: Homework, suites: Path, result: ReleaseResult) -> None:
    """The public tests of a hidden suite (with a conftest cut down to what they request)."""
    source_dir = course.suite_dir(homework.id)
    target = suites / homework.id
    target.mkdir(parents=True)
    files = sorted(source_dir.glob("*.py")) if source_dir.is_dir() else []
    requested: set[str] = set()
    count = 0
    for path in files:
        if not path.name.startswith("test_"):
            continue
        extract = public_tests.public_tests(path.read_text(encoding="utf-8"), str(path))
        if extract is None:
            continue
        requested |= extract.requested
        count += len(extract.tests)
        header = f"# The public tests of {path.name}, extracted by `grader release`.\n"
        _write(target / path.name, header + extract.text, result)
    conftest = source_dir / "conftest.py"
    if count and conftest.is_file():
        text = public_tests.public_conftest(conftest.read_text(encoding="utf-8"), requested)
        _write(target / "conftest.py", text, result)
    others = [p.name for p in files if not p.name.startswith("test_") and p.name != "conftest.py"]
    if others:
        result.notes.append(f"{homework.id}: not shipped (not test files): {', '.join(others)}")
    if not count:
        result.notes.append(f"{homework.id}: no public test; the self-check will run nothing")


def _project_files(
    course: Course, chosen: list[Homework], outdir: Path, result: ReleaseResult
) -> None:
    values = {
        "__TITLE__": course.title,
        "__VERSION__": grader_version().replace("dev", "0.0.0"),
        "__TORCH__": torch_version(),
        "__DIRNAME__": outdir.name,
        "__HOMEWORKS__": ", ".join(f"`{h.id}` ({h.title}, {h.points:g} points)" for h in chosen),
        "__FIRST__": chosen[0].id,
        "__SECTION__": chosen[0].sections[0].id,
        "__SUBMIT__": "\n".join(
            f"- `{h.id}`: `{_submitted(outdir, h).relative_to(outdir).as_posix()}`" for h in chosen
        ),
    }
    # The template is not named pyproject.toml: tools would take it for this project's own.
    for name, template in (("pyproject.toml", "pyproject.toml.in"), ("README.md", "README.md")):
        text = (TEMPLATES / template).read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace(key, value)
        _write(outdir / name, text, result)


def _submitted(outdir: Path, homework: Homework) -> Path:
    """The file a student hands in: the notebook, or the module where there is none."""
    notebook = outdir / "notebooks" / f"{homework.id}.ipynb"
    return notebook if notebook.is_file() else outdir / "exercises" / f"{homework.id}.py"


def _write(path: Path, text: str, result: ReleaseResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    result.files.append(path)
