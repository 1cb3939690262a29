"""The sandbox's policy: what a zygote and everything forked from it may see and reach.

Trusted side; this is the part to audit. A zygote (``python -m torchgrade.worker``) runs

- under ``bubblewrap`` (``bwrap``) when available: own pid, network, IPC and UTS namespaces,
  a read-only view of just the system, Python and the ``grader`` package with the hidden
  suites and the solutions masked, a private ``/tmp``, ``--die-with-parent``;
- as a plain child process otherwise (``process``): the same limits, its own session, a new
  network namespace where the kernel allows one.

When the grader runs as root, each submission's template becomes a uid of its own drawn from
:data:`SANDBOX_UIDS` (a process can signal, trace or count against the process limit only of
its own uid, so submissions graded side by side stay apart). The resource limits themselves
are the course's (:class:`torchgrade.course.Limits`), applied inside by :mod:`torchgrade.worker`.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from torchgrade.course import PACKAGE_DIR
from torchgrade.specs import SandboxError

SANDBOX_UIDS = range(200_000, 300_000)  # unprivileged, no passwd entry, one per sandbox
METHODS = ("bubblewrap", "process")


@cache
def bwrap_available() -> str | None:
    """Path of a working ``bwrap``, or ``None`` (missing, or not allowed on this kernel)."""
    path = shutil.which("bwrap")
    if not path:
        return None
    probe = [
        path,
        "--ro-bind",
        "/",
        "/",
        "--unshare-pid",
        "--unshare-net",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "true",
    ]
    try:
        ok = subprocess.run(probe, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return path if ok else None


def resolve_method(method: str) -> str:
    """``auto`` -> ``bubblewrap`` where it works, else ``process``; others are checked."""
    if not hasattr(os, "fork"):
        raise SandboxError("grading needs a Unix system (Linux or macOS; on Windows, WSL)")
    if method == "auto":
        return "bubblewrap" if bwrap_available() else "process"
    if method == "bubblewrap" and not bwrap_available():
        raise SandboxError("bubblewrap (bwrap) is not installed or not usable here")
    if method not in METHODS:
        raise SandboxError(f"unknown sandbox method {method!r}")
    return method


def hidden_paths(course_suites: Path, course_root: Path) -> list[Path]:
    """What a worker must never see: the hidden suites and the reference solutions."""
    paths = [course_suites, course_root / "solutions"]
    spec = find_spec("solutions")
    if spec and spec.submodule_search_locations:
        paths += [Path(p) for p in spec.submodule_search_locations]
    return sorted({p.resolve() for p in paths if p.exists()})


def zygote_command(method: str, hide: list[Path], workdir: str, ctrl_fd: int) -> list[str]:
    """The command line that starts a zygote under ``method`` (a resolved one)."""
    worker = [sys.executable, "-s", "-B", "-m", "torchgrade.worker", "--ctrl-fd", str(ctrl_fd)]
    if method == "process":
        return [*worker, "--workdir", workdir, "--unshare-net"]
    return [*_bwrap_prefix(hide), *worker, "--workdir", "/tmp"]


def zygote_environment(method: str, workdir: str) -> dict[str, str]:
    """The zygote's whole environment: nothing of the grader's is inherited."""
    home = "/tmp" if method == "bubblewrap" else workdir
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(PACKAGE_DIR.parent),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "JOBLIB_MULTIPROCESSING": "0",
        # Sandbox uids have no passwd entry; getpass.getuser() (torch's caches) reads these.
        "USER": "student",
        "LOGNAME": "student",
    }


def _bwrap_prefix(hide: list[Path]) -> list[str]:
    """bubblewrap: a fresh root with read-only system, Python and grader; secrets masked."""
    args = [
        bwrap_available(),
        "--die-with-parent",
        "--new-session",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--cap-drop",
        "ALL",
    ]
    if os.geteuid() == 0:  # templates drop to their own uid, and then have no capability
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    # The private /tmp first: a Python installed under /tmp (a venv made there) is then
    # bound on top of it instead of being hidden by it.
    args += ["--perms", "1777", "--tmpfs", "/tmp"]
    made = {"/", "/tmp"}
    for path in _readable_paths(hide):
        for parent in reversed(path.parents):
            if str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", str(path), str(path)]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for secret in hide:
        args += ["--perms", "0000", "--tmpfs", str(secret)]
    return [*args, "--chdir", "/tmp", "--"]


def _readable_paths(hide: list[Path]) -> list[Path]:
    """Python, its packages and the grader package; never a folder holding a secret."""
    wanted = {
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(sys.exec_prefix),
        Path(os.path.realpath(sys.executable)).parent,
        PACKAGE_DIR,
    }
    wanted |= {Path(p) for p in sys.path if p and os.path.isdir(p)}
    # An installation folder (a venv, site-packages) may hold the secrets when the grader
    # is pip-installed rather than run from its repository; it holds nothing else secret,
    # and the secrets inside it are masked after the binds, so it is bound all the same.
    installed = _installation_dirs()
    keep = set()
    for path in (p.resolve() for p in wanted):
        holds_secret = (
            any(s == path or (path in s.parents and path not in installed) for s in hide)
            and path != PACKAGE_DIR
        )
        under_system = path.parts[1:2] and "/" + path.parts[1] in ("/usr", "/etc")
        # The worker's own private /tmp must stay writable: never bind /tmp itself.
        private = path in (Path("/"), Path("/tmp"))
        if not holds_secret and not under_system and not private:
            keep.add(path)
    # A folder inside another kept folder is bound with it.
    return sorted(p for p in keep if not any(q in p.parents for q in keep))


def _installation_dirs() -> set[Path]:
    """Folders that hold only the Python installation and its packages."""
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    dirs |= {sysconfig.get_paths()[key] for key in ("purelib", "platlib", "stdlib")}
    return {Path(d).resolve() for d in dirs if d}
