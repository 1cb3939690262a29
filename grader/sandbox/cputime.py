"""The grader's own clock on a worker: its CPU time, as the kernel accounts it in /proc.

Trusted side. A worker's word about its own CPU time would be evidence, not truth; the
kernel's accounting (``/proc/<pid>/stat``: user + system time of all its threads) is neither
the worker's to change nor to fake. Under bubblewrap a worker lives in a pid namespace of its
own and its template reports the pid *inside* it: :func:`locate` finds the process carrying
that inner pid among the descendants of our zygote, so a template that names some other
process (ours, another submission's) is not believed. Where nothing can be located (no /proc:
macOS) a test is bounded by the wall-clock backstop alone.
"""

import os
from dataclasses import dataclass

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
MAX_DEPTH = 8  # bwrap, bwrap's init, zygote, template, worker: a worker is never deeper


@dataclass(frozen=True)
class CpuClock:
    """One process's CPU time; ``start`` (its start time) tells a reused pid apart."""

    pid: int  # in the grader's pid namespace
    start: int

    def seconds(self) -> float | None:
        """User + system CPU seconds so far; ``None`` once the process is gone."""
        fields = _stat(self.pid)
        if fields is None or int(fields[19]) != self.start:
            return None
        return (int(fields[11]) + int(fields[12])) / TICKS


def locate(root: int, inner_pid: int) -> CpuClock | None:
    """The clock of the descendant of ``root`` whose innermost pid is ``inner_pid``.

    ``root`` is the zygote's process (the ``bwrap`` process under bubblewrap) as the grader
    started it; ``inner_pid`` is a worker's pid as its template reported it.
    """
    parents = {}
    for pid in _pids():
        fields = _stat(pid)
        if fields is not None:
            parents[pid] = int(fields[1])
    found = [
        pid
        for pid in parents
        if _descends(pid, root, parents) and _innermost_pid(pid) == inner_pid
    ]
    # Two submissions open at once in one zygote, each in a pid namespace of its own, may both
    # have a worker of that inner pid: then neither is believed, and the backstop alone bounds
    # the test (never another submission's clock on this one).
    fields = _stat(found[0]) if len(found) == 1 else None
    return CpuClock(found[0], int(fields[19])) if fields else None


def _descends(pid: int, root: int, parents: dict[int, int]) -> bool:
    for _ in range(MAX_DEPTH):
        pid = parents.get(pid, 0)
        if pid == root:
            return True
        if pid <= 1:
            return False
    return False


def _pids() -> list[int]:
    try:
        return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return []


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name: [0] is field 3 (state)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields if len(fields) > 19 else None


def _innermost_pid(pid: int) -> int | None:
    """The pid in the process's own (deepest) pid namespace; itself without namespaces."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except (OSError, ValueError, IndexError):
        return None
    return None
