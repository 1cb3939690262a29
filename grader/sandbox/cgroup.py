"""Memory cgroups: the kernel bounds the memory of all of one submission's processes together.

Trusted side. Per grader process, one folder ``torchgrade-<pid>`` in the memory controller's
hierarchy (cgroup v2, or v1's ``memory`` hierarchy) holds one cgroup per submission, limited
to :attr:`torchgrade.course.Limits.submission_memory_mib` (memory and swap, page cache and tmpfs
files included). The grader opens the cgroup's ``cgroup.procs`` and hands the open file to the
zygote with the template request; the template writes itself into it before any student code
runs, and its children follow it. The kernel checks that write against the opener (the grader)
so it works from inside bubblewrap's namespaces, and a submission cannot leave the cgroup (its
uid may not write there). Where no hierarchy is writable (not root, a read-only /sys, no
memory controller) :func:`memory_cgroup` returns ``None`` and the report says the submission's
memory is bounded per process only (RLIMIT_AS).
"""

import atexit
import os
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MIB = 1 << 20
PREFIX = "torchgrade-"


@dataclass
class MemoryCgroup:
    """One submission's cgroup."""

    path: Path
    version: int  # 1 or 2

    def procs_fd(self) -> int:
        """``cgroup.procs`` opened for writing: the template moves itself in with it."""
        return os.open(self.path / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC)

    def members(self) -> list[int]:
        """Process ids in the cgroup (as this process sees them)."""
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def describe(self) -> str:
        name = "memory.max" if self.version == 2 else "memory.limit_in_bytes"
        limit = _read_int(self.path / name)
        return f"{limit // MIB} MiB for the whole submission (cgroup v{self.version})"

    def remove(self) -> None:
        """Remove the cgroup once its processes are gone (they may still be exiting)."""
        _rmdir(self.path)


def memory_cgroup(limit_mib: int) -> MemoryCgroup | None:
    """A new cgroup limited to ``limit_mib`` MiB, or ``None`` where none can be made here."""
    parent = _parent()
    if parent is None:
        return None
    path, version = parent
    for _ in range(100):
        child = path / f"submission-{os.urandom(4).hex()}"
        try:
            child.mkdir()
            break
        except FileExistsError:
            continue
        except OSError:
            return None
    else:
        return None
    cgroup = MemoryCgroup(child, version)
    limit = str(limit_mib * MIB)
    try:
        if version == 2:
            (child / "memory.max").write_text(limit)
            _write_optional(child / "memory.swap.max", "0")
        else:
            (child / "memory.limit_in_bytes").write_text(limit)
            _write_optional(child / "memory.memsw.limit_in_bytes", limit)  # no swap either
    except OSError:
        cgroup.remove()
        return None
    return cgroup


@cache
def _parent() -> tuple[Path, int] | None:
    """This grader process's folder of submission cgroups, made once (removed at exit)."""
    for base, version in _candidates():
        _remove_stale(base)
        folder = base / f"{PREFIX}{os.getpid()}"
        try:
            folder.mkdir(exist_ok=True)
            if version == 2:  # children get the memory controller: the parent must offer it
                if "memory" not in (folder / "cgroup.controllers").read_text().split():
                    raise OSError("no memory controller here")
                (folder / "cgroup.subtree_control").write_text("+memory")
        except OSError:
            _rmdir(folder)
            continue
        atexit.register(_remove_tree, folder)
        return folder, version
    return None


def _candidates() -> list[tuple[Path, int]]:
    """Where a folder of cgroups may go: v2's root, or our own cgroup in v1's memory tree.

    In v2 a cgroup that holds processes (ours) cannot give controllers to children, so the
    folder goes at the root of the hierarchy; in v1 it goes under our own cgroup.
    """
    if os.geteuid() != 0:
        return []
    try:
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
        own = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in mounts:
        fields = line.split()
        if "-" not in fields:
            continue
        sep = fields.index("-")
        root, point, fstype = fields[3], Path(fields[4]), fields[sep + 1]
        options = fields[sep + 3].split(",") if len(fields) > sep + 3 else []
        if fstype == "cgroup2" and root == "/":
            found.append((point, 2))
        elif fstype == "cgroup" and "memory" in options:
            for entry in own:
                _, controllers, path = entry.split(":", 2)
                if "memory" in controllers.split(",") and path.startswith(root):
                    found.append((point / path[len(root) :].lstrip("/"), 1))
    return found


def _remove_stale(base: Path) -> None:
    """Folders left by grader processes that were killed before they could clean up."""
    try:
        entries = list(base.glob(f"{PREFIX}*"))
    except OSError:
        return
    for entry in entries:
        pid = entry.name[len(PREFIX) :]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            _remove_tree(entry, wait=0.0)


def _remove_tree(folder: Path, wait: float = 2.0) -> None:
    try:
        children = [c for c in folder.iterdir() if c.is_dir()]
    except OSError:
        children = []
    for child in children:
        _rmdir(child, wait)
    _rmdir(folder, wait)


def _rmdir(path: Path, wait: float = 2.0) -> None:
    give_up = time.monotonic() + wait
    while True:
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:  # EBUSY: processes still exiting
            if time.monotonic() >= give_up:
                return
            time.sleep(0.005)


def _write_optional(path: Path, text: str) -> None:
    """A setting the kernel may not have (swap accounting off): skipped where absent."""
    if path.exists():
        try:
            path.write_text(text)
        except OSError:
            pass


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return 0
