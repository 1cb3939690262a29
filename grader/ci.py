"""CI that grades one submission per job: GitHub Classroom, GitLab, Gradescope.

The files themselves are templates under ``grader/templates/`` (read them: each says where
it goes, what secret it needs and what it cannot protect against); this module fills in the
homework, the grader repository and the torch version, and writes them:

- ``github``: ``.github/workflows/classroom.yml`` for a GitHub Classroom assignment's template
  repository. It installs the grader with its hidden suites from a private repository with
  a read-only token, grades the checkout with ``--format github`` and hands the result to
  ``classroom-resources/autograding-grading-reporter@v1``, which posts the points.
- ``gitlab``: ``.gitlab-ci.yml``: the same with a masked CI/CD variable, a JUnit report for
  GitLab's test view and the JSON report as an artifact.
- :func:`gradescope_bundle`: the autograder zip Gradescope builds its image from
  (``setup.sh`` and ``run_autograder`` at the root, the course project beside them); Gradescope
  keeps it from students, so it carries the hidden suites itself.
"""

import shutil
import stat
import tempfile
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from grader.course import PACKAGE_DIR, Course
from grader.errors import GraderError

TEMPLATES = PACKAGE_DIR / "templates"
TARGETS = {
    "github": ("ci/github-classroom.yml", Path(".github/workflows/classroom.yml")),
    "gitlab": ("ci/gitlab-ci.yml", Path(".gitlab-ci.yml")),
}
# What a Gradescope image needs of the course project; never its VCS, caches or tests.
_PROJECT = ("pyproject.toml", "README.md", "exercises", "solutions")
_SKIP_NAMES = ("__pycache__", "*.pyc", "*.egg-info", ".*")
_SKIP = shutil.ignore_patterns(*_SKIP_NAMES)


class TemplateError(GraderError, ValueError):
    """A CI file cannot be written as asked; the message says why."""


def render_template(name: str, values: dict[str, str]) -> str:
    """The template ``grader/templates/<name>`` with every ``__KEY__`` replaced."""
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"__{key}__", value)
    return text


def write_ci(
    provider: str,
    *,
    dest: Path,
    course: Course,
    homework: str | None = None,
    grader_repo: str | None = None,
    grader_ref: str = "main",
    force: bool = False,
) -> Path:
    """Write the CI file of ``provider`` (``github`` or ``gitlab``) into the repository ``dest``.

    Raises:
        TemplateError: unknown provider or homework, no ``grader_repo``, or the file exists.
    """
    if provider not in TARGETS:
        raise TemplateError(f"unknown CI {provider!r}; choose from {', '.join(TARGETS)}")
    if not grader_repo:
        raise TemplateError(
            "give --grader-repo: the private repository CI installs the grader and its hidden "
            "tests from (OWNER/NAME on GitHub, https://HOST/GROUP/NAME on GitLab)"
        )
    template, relative = TARGETS[provider]
    values = _values(course, homework)
    values["GRADER_REF"] = grader_ref
    if provider == "github":
        values["GRADER_REPO"] = grader_repo.removeprefix("https://github.com/").removesuffix(".git")
    else:
        host_path = grader_repo.split("://", 1)[-1].removesuffix(".git")
        values["GRADER_REPO"] = grader_repo
        values["GRADER_HOST_PATH"] = host_path
    path = Path(dest) / relative
    if path.exists() and not force:
        raise TemplateError(f"{path} exists (--force replaces it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_template(template, values), encoding="utf-8")
    return path


def gradescope_bundle(
    zip_path: Path, *, course: Course, homework: str | None = None, force: bool = False
) -> Path:
    """Write the Gradescope autograder zip: ``setup.sh``, ``run_autograder``, ``torchgrade/``.

    Raises:
        TemplateError: unknown homework, the zip exists, or the course project is incomplete.
    """
    zip_path = Path(zip_path)
    if zip_path.exists() and not force:
        raise TemplateError(f"{zip_path} exists (--force replaces it)")
    values = _values(course, homework)
    missing = [name for name in _PROJECT if not (course.root / name).exists()]
    if missing:
        raise TemplateError(f"{course.root} lacks {', '.join(missing)}: not a course project")
    with tempfile.TemporaryDirectory(prefix="torchgrade-gradescope-") as tmp:
        project = Path(tmp) / "torchgrade"
        project.mkdir()
        for name in _PROJECT:
            source = course.root / name
            if source.is_dir():
                shutil.copytree(source, project / name, ignore=_SKIP)
            else:
                shutil.copy2(source, project / name)
        package = project / "grader"
        shutil.copytree(PACKAGE_DIR, package, ignore=shutil.ignore_patterns("suites", *_SKIP_NAMES))
        shutil.copytree(course.suites_dir, package / "suites", ignore=_SKIP)
        shutil.copy2(course.table or PACKAGE_DIR / "course.toml", package / "course.toml")
        zip_path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
            # Gradescope wants both scripts at the root of the zip, the second executable.
            for name in ("setup.sh", "run_autograder"):
                _add(archive, name, render_template(f"gradescope/{name}", values).encode(), 0o755)
            for file in sorted(p for p in project.rglob("*") if p.is_file()):
                arcname = str(file.relative_to(Path(tmp)))
                _add(archive, arcname, file.read_bytes(), 0o644)
    return zip_path


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible zips
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def _values(course: Course, homework: str | None) -> dict[str, str]:
    if homework is None:
        if len(course.homeworks) != 1:
            known = ", ".join(h.id for h in course.homeworks)
            raise TemplateError(f"give --homework: one of {known}")
        homework = course.homeworks[0].id
    course.homework(homework)  # an unknown one: a CourseError that says which exist
    return {"HOMEWORK": homework, "TORCH": torch_version()}


def torch_version() -> str:
    """The torch this grader runs on, as a version pip can install from the CPU index."""
    try:
        return version("torch").split("+")[0]
    except PackageNotFoundError:  # a source build of torch has no distribution metadata
        import torch

        return torch.__version__.split("+")[0]
