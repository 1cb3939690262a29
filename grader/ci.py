"""CI that grades one submission per job: GitHub Classroom, GitLab, Gradescope.

The files themselves are templates under ``grader/templates/`` (read them: each says where
it goes, what secret it needs and what it cannot protect against); this module fills in the
homework, the grader repository and the torch version, and writes them:

- ``github``: ``.github/workflows/classroom.yml`` for a GitHub Classroom assignment's template
  repository. It installs the grader with its hidden suites from a private repository with
  a read-only token, grades the checkout with ``--format github`` and hands the result to
  ``classroom-resources/autograding-grading-reporter@v1``, which posts the points.
  When nothing is graded (exit 2) the job still hands the reporter a result: a zero score
  with the reason (:mod:`torchgrade.report.not_graded`).
- ``gitlab``: ``.gitlab-ci.yml``: the same with a masked CI/CD variable, a JUnit report for
  GitLab's test view and the JSON report as an artifact.
- :func:`gradescope_bundle`: the autograder zip Gradescope builds its image from
  (``setup.sh`` and ``run_autograder`` at the root, the course project beside them); Gradescope
  keeps it from students, so it carries the hidden suite and the solution itself: those of
  its own assignment only.

``--grader-repo`` is normalised (:func:`github_repo`, :func:`gitlab_url`): ``OWNER/NAME``, a
web address with or without ``.git``, or an SSH address all name the same repository.
"""

import re
import shutil
import stat
import tempfile
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from torchgrade.course import PACKAGE_DIR, Course
from torchgrade.errors import GraderError

TEMPLATES = PACKAGE_DIR / "templates"
TARGETS = {
    "github": ("ci/github-classroom.yml", Path(".github/workflows/classroom.yml")),
    "gitlab": ("ci/gitlab-ci.yml", Path(".gitlab-ci.yml")),
}
# What a Gradescope image needs of the course project; never its VCS, caches or tests.
_PROJECT = ("pyproject.toml", "README.md", "exercises", "solutions")
# A repository path on GitHub or GitLab: OWNER/NAME, or GROUP/SUBGROUP/.../NAME on GitLab.
_PATH_PART = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]*")
# GitLab's predefined variables for the server a job runs on: gitlab.com, or the course's own.
_THIS_GITLAB = "${CI_SERVER_PROTOCOL}://${TORCHGRADE_TOKEN}@${CI_SERVER_HOST}:${CI_SERVER_PORT}"
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
        values["GRADER_REPO"] = github_repo(grader_repo)
    else:
        values["GRADER_REPO"], values["GRADER_URL"] = gitlab_url(grader_repo)
    path = Path(dest) / relative
    if path.exists() and not force:
        raise TemplateError(f"{path} exists (--force replaces it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_template(template, values), encoding="utf-8")
    return path


def github_repo(grader_repo: str) -> str:
    """``OWNER/NAME`` of a GitHub repository given as that, as a web address or an SSH one.

    Raises:
        TemplateError: another host, or not one owner and one name.
    """
    host, path = _split_repo(grader_repo)
    if host not in ("", "github.com", "www.github.com") or len(path) != 2:
        raise TemplateError(
            f"--grader-repo {grader_repo!r}: GitHub needs OWNER/NAME "
            "(or https://github.com/OWNER/NAME)"
        )
    return "/".join(path)


def gitlab_url(grader_repo: str) -> tuple[str, str]:
    """The GitLab project to install the grader from: (as shown, as pip's clone URL).

    ``GROUP/NAME`` (subgroups allowed) is a project on the GitLab server the job runs on,
    through GitLab's predefined ``CI_SERVER_*`` variables; ``https://HOST/GROUP/NAME``,
    ``HOST/GROUP/NAME`` and ``git@HOST:GROUP/NAME.git`` name one on ``HOST``. The clone URL
    carries ``${TORCHGRADE_TOKEN}`` as its user part, for the shell of the job to expand.

    Raises:
        TemplateError: not a GROUP/NAME path.
    """
    host, path = _split_repo(grader_repo)
    if len(path) < 2:
        raise TemplateError(
            f"--grader-repo {grader_repo!r}: GitLab needs GROUP/NAME or https://HOST/GROUP/NAME"
        )
    project = "/".join(path)
    if not host:
        return f"{project} (on this GitLab server)", f"{_THIS_GITLAB}/{project}.git"
    scheme = "http" if grader_repo.startswith("http://") else "https"
    return f"{scheme}://{host}/{project}", f"{scheme}://${{TORCHGRADE_TOKEN}}@{host}/{project}.git"


def _split_repo(grader_repo: str) -> tuple[str, list[str]]:
    """(host or ``""``, path parts) of a repository reference, each part checked.

    Raises:
        TemplateError: a part with characters no repository name has.
    """
    text = grader_repo.strip()
    if text.startswith("git@"):  # git@HOST:GROUP/NAME.git
        text = text.removeprefix("git@").replace(":", "/", 1)
    text = re.sub(r"^[a-z+]+://", "", text).split("@")[-1]  # no scheme, no user part
    text = text.removesuffix("/").removesuffix(".git")
    parts = [p for p in text.split("/") if p]
    host = ""
    if parts and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        host = parts.pop(0).lower()
    if not all(_PATH_PART.fullmatch(p) for p in parts):
        raise TemplateError(f"--grader-repo {grader_repo!r} is not a repository path")
    return host, parts


def gradescope_bundle(
    zip_path: Path, *, course: Course, homework: str | None = None, force: bool = False
) -> Path:
    """Write the Gradescope autograder zip: ``setup.sh``, ``run_autograder``, ``torchgrade/``.

    The project in it carries the hidden suite, the solution and the stub of its own
    assignment only: a zip made for hw1 must not hand another assignment's tests to whoever
    can read it (a course assistant of hw1, a copy on a shared drive).

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
        _copy_project(course, values["HOMEWORK"], project)
        zip_path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
            # Gradescope wants both scripts at the root of the zip, the second executable.
            for name in ("setup.sh", "run_autograder"):
                _add(archive, name, render_template(f"gradescope/{name}", values).encode(), 0o755)
            for file in sorted(p for p in project.rglob("*") if p.is_file()):
                arcname = str(file.relative_to(Path(tmp)))
                _add(archive, arcname, file.read_bytes(), 0o644)
    return zip_path


def _copy_project(course: Course, homework: str, project: Path) -> None:
    """The course project as Gradescope installs it, with ``homework``'s secrets only."""
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(course.root / name, project / name)
    for package in ("exercises", "solutions"):
        (project / package).mkdir()
        for name in ("__init__.py", f"{homework}.py"):
            if (course.root / package / name).is_file():
                shutil.copy2(course.root / package / name, project / package / name)
    package = project / "grader"
    shutil.copytree(PACKAGE_DIR, package, ignore=shutil.ignore_patterns("suites", *_SKIP_NAMES))
    suites = package / "suites"
    suites.mkdir()
    for item in course.suites_dir.iterdir():  # shared files beside the suites, if any
        ignored = _SKIP(str(course.suites_dir), [item.name])
        if item.is_file() and item.name not in ignored:
            shutil.copy2(item, suites / item.name)
    shutil.copytree(course.suite_dir(homework), suites / homework, ignore=_SKIP)
    shutil.copy2(course.table or PACKAGE_DIR / "course.toml", package / "course.toml")


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
    points = course.homework(homework).points  # an unknown one: a CourseError saying which exist
    return {"HOMEWORK": homework, "POINTS": f"{points:g}", "TORCH": torch_version()}


def torch_version() -> str:
    """The torch this grader runs on, as a version pip can install from the CPU index."""
    try:
        return version("torch").split("+")[0]
    except PackageNotFoundError:  # a source build of torch has no distribution metadata
        import torch

        return torch.__version__.split("+")[0]
