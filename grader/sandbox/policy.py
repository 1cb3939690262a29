"""The sandbox's policy: what a zygote and everything forked from it may see and reach.

Trusted side; this is the part to audit. A zygote (``python -m torchgrade.worker``) runs

- under ``bubblewrap`` (``bwrap``) when available: own pid, network, IPC and UTS namespaces,
  a read-only view of an explicit allow-list (the system, the Python installation and its
  packages, the grader package ``torchgrade`` under :data:`SANDBOX_PACKAGE_ROOT`) with the
  hidden suites and the solutions masked, a private ``/tmp``, ``--die-with-parent``;
- as a plain child process otherwise (``process``): the same limits, its own session, a new
  network namespace where the kernel allows one.

Python runs isolated (:data:`PYTHON_FLAGS`: no user site, no bytecode written, not the current
folder on ``sys.path``, and an environment the grader writes whole, so no variable of its own
or of the submission's reaches the interpreter); ``-E`` is left out only so that
``PYTHONHASHSEED=0`` keeps string hashing, and so a submission's set order, the same on every
run. The ``torchgrade`` package is imported from one fixed folder by :data:`BOOTSTRAP`, never
through ``sys.path``.

Each submission's template gets **namespaces of its own** (mount, pid and IPC: an empty
``/tmp``, ``/var/tmp`` and ``/dev/shm``, a ``/proc`` of its own processes, its own System V
IPC; killing it ends everything it started) where the zygote may create them: it keeps
CAP_SYS_ADMIN for that (``--cap-add``; inside a user namespace of its own when the grader is
not root) and every template drops all capabilities before the submission's code runs. Where
that is impossible (``fresh=False``; the process method when not root; a kernel that refuses;
Python or the grader under /tmp) templates share the zygote's namespaces, as the report says.

When the grader runs as root, each submission's template becomes a uid of its own drawn from
:data:`SANDBOX_UIDS` (a process can signal, trace or count against the process limit only of
its own uid, so submissions graded side by side stay apart). The resource limits themselves
are the course's (:class:`torchgrade.course.Limits`), applied inside by :mod:`torchgrade.worker`;
the total memory of a submission is bounded by :mod:`torchgrade.sandbox.cgroup`.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from functools import cache
from pathlib import Path

from torchgrade.course import PACKAGE_DIR
from torchgrade.specs import SandboxError

SANDBOX_UIDS = range(200_000, 300_000)  # unprivileged, no passwd entry, one per sandbox
METHODS = ("bubblewrap", "process")
THP_SETTINGS = "/sys/kernel/mm/transparent_hugepage"  # read-only settings, no secret
SANDBOX_PACKAGE_ROOT = "/opt/torchgrade"  # under bubblewrap, the package is here/torchgrade
# -P (3.11+): not the current folder on sys.path; 3.10 puts the private /tmp there instead.
PYTHON_FLAGS = ("-s", "-B", *(("-P",) if sys.version_info >= (3, 11) else ()))
# ``python FLAGS -c BOOTSTRAP PACKAGE ARGS...``: the worker's entry point, with ``torchgrade``
# imported from the folder PACKAGE (the repository's grader/), whatever sys.path holds.
BOOTSTRAP = (
    "import importlib.util as u, runpy, sys; d = sys.argv.pop(1); "
    "s = u.spec_from_file_location('torchgrade', d + '/__init__.py', "
    "submodule_search_locations=[d]); m = u.module_from_spec(s); "
    "sys.modules['torchgrade'] = m; s.loader.exec_module(m); "
    "runpy.run_module('torchgrade.worker', run_name='__main__', alter_sys=True)"
)


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
    """What a worker must never see: the hidden suites and the reference solutions.

    Both live in the course folder only (the ``torchgrade`` distribution installs neither);
    the package's own ``suites`` folder is masked too, for a course kept inside it.
    """
    paths = [course_suites, course_root / "solutions", PACKAGE_DIR / "suites"]
    return sorted({p.resolve() for p in paths if p.exists()})


@cache
def bwrap_admin_flags() -> tuple[str, ...]:
    """bubblewrap flags that leave the zygote CAP_SYS_ADMIN, or ``()`` where none work.

    As root, the capability itself; otherwise inside a user namespace of the sandbox's own
    (where the kernel allows unprivileged ones): enough to make namespaces and mounts there.
    """
    path = bwrap_available()
    if not path:
        return ()
    flags = ("--cap-add", "CAP_SYS_ADMIN")
    if os.geteuid() != 0:
        flags = ("--unshare-user", *flags)
    probe = [path, "--ro-bind", "/", "/", "--unshare-pid", "--cap-drop", "ALL", *flags, "true"]
    try:
        ok = subprocess.run(probe, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return flags if ok else ()


def zygote_command(
    method: str, hide: list[Path], workdir: str, ctrl_fd: int, fresh: bool = True
) -> list[str]:
    """The command line that starts a zygote under ``method`` (a resolved one).

    ``fresh``: give each template namespaces of its own where possible (see the module's
    docstring); ``False`` keeps the shared ones (the fallback, for comparison).
    """
    why_shared = "not asked for" if not fresh else _why_no_private_tmp(method)
    fresh = not why_shared
    args = ["--ctrl-fd", str(ctrl_fd)] + (["--shared-namespaces", why_shared] if why_shared else [])
    if method == "process":
        python = [sys.executable, *PYTHON_FLAGS, "-c", BOOTSTRAP, str(PACKAGE_DIR)]
        return [*python, *args, "--workdir", workdir, "--unshare-net"]
    python = [sys.executable, *PYTHON_FLAGS, "-c", BOOTSTRAP, f"{SANDBOX_PACKAGE_ROOT}/torchgrade"]
    return [*_bwrap_prefix(hide, fresh), *python, *args, "--workdir", "/tmp"]


def _why_no_private_tmp(method: str) -> str:
    """A reason to keep the shared /tmp, or ``""``: a private one would hide our Python."""
    needed = readable_paths() + ([PACKAGE_DIR.resolve()] if method == "process" else [])
    if any(Path("/tmp") in path.parents for path in needed):
        return "Python or the grader lives under /tmp, which each submission's own would hide"
    return ""


def zygote_environment(method: str, workdir: str) -> dict[str, str]:
    """The zygote's whole environment: nothing of the grader's is inherited.

    Python reads only ``PYTHONHASHSEED``, ``PYTHONDONTWRITEBYTECODE`` and ``PYTHONMALLOC`` of
    it; the rest is for what the submission and its libraries read.
    """
    home = "/tmp" if method == "bubblewrap" else workdir
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "JOBLIB_MULTIPROCESSING": "0",
        # Speed only, no isolation: the zygote's ~270 MiB of heap (torch, sympy, scipy) on
        # transparent huge pages, Python's own objects included (PYTHONMALLOC=malloc puts
        # them on that heap). Forking a worker then copies one page-table entry per 2 MiB
        # instead of 512, and its exit frees as few: a third of a test's system time.
        # Copy-on-write still copies 4 KiB pages; RLIMIT_AS is unaffected.
        "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1",
        "PYTHONMALLOC": "malloc",
        # Sandbox uids have no passwd entry; getpass.getuser() (torch's caches) reads these.
        "USER": "student",
        "LOGNAME": "student",
    }


def _bwrap_prefix(hide: list[Path], fresh: bool = True) -> list[str]:
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
    if fresh:  # the zygote makes each template's namespaces; templates drop it before loading
        args += bwrap_admin_flags()
    if os.geteuid() == 0:  # templates drop to their own uid, and then have no capability
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        if fresh:  # the zygote kills a template, of another uid, and with it its namespace
            args += ["--cap-add", "CAP_KILL"]
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    # The private /tmp first: a Python installed under /tmp (a venv made there) is then
    # bound on top of it instead of being hidden by it.
    args += ["--perms", "1777", "--tmpfs", "/tmp"]
    made = {"/", "/tmp"}
    binds = [(path, path) for path in readable_paths()]
    binds.append((PACKAGE_DIR, Path(SANDBOX_PACKAGE_ROOT) / "torchgrade"))
    for source, target in binds:
        for parent in reversed(target.parents):
            if str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", str(source), str(target)]
    args += ["--proc", "/proc", "--dev", "/dev"]
    if os.path.isdir(THP_SETTINGS):  # read by glibc for GLIBC_TUNABLES' huge pages
        args += ["--ro-bind", THP_SETTINGS, THP_SETTINGS]
    for secret in _masked(hide):
        args += ["--perms", "0000", "--tmpfs", str(secret)]
    return [*args, "--chdir", "/tmp", "--"]


def _masked(hide: list[Path]) -> list[Path]:
    """The secrets where they are, and where the grader package's bind shows them again."""
    package = PACKAGE_DIR.resolve()
    moved = [
        Path(SANDBOX_PACKAGE_ROOT) / "torchgrade" / secret.relative_to(package)
        for secret in hide
        if package in secret.parents
    ]
    return [*hide, *moved]


def readable_paths() -> list[Path]:
    """The allow-list besides the system folders: the Python installation and its packages.

    Named one by one (prefixes, the interpreter's folder, the standard library and
    site-packages), never taken from ``sys.path`` or the current folder. Such a folder may hold
    the secrets (a grader pip-installed into site-packages): they are masked after the binds.
    The grader package is bound apart, at :data:`SANDBOX_PACKAGE_ROOT`.
    """
    keep = set()
    for path in _installation_dirs():
        under_system = path.parts[1:2] and "/" + path.parts[1] in ("/usr", "/etc")
        # The worker's own private /tmp must stay writable: never bind /tmp itself.
        if not under_system and path not in (Path("/"), Path("/tmp")):
            keep.add(path)
    # A folder inside another kept folder is bound with it.
    return sorted(p for p in keep if not any(q in p.parents for q in keep))


def _installation_dirs() -> set[Path]:
    """Folders that hold only the Python installation and its packages."""
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    dirs.add(os.path.dirname(os.path.realpath(sys.executable)))
    for scheme_vars in ({}, {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}):
        paths = sysconfig.get_paths(vars=scheme_vars)
        dirs |= {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    return {Path(d).resolve() for d in dirs if d and os.path.isdir(d)}
