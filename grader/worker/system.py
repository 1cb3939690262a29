"""Operating-system helpers of the sandbox's processes: limits, namespaces, uids, /proc, reaping.

Worker side: runs in the zygote, templates and workers, which the submission may tamper with
(except the zygote, which never runs student code). The limits' values are the course's
(:class:`torchgrade.course.Limits`, received through :mod:`torchgrade.control`); nothing here
repeats them. Where there is no /proc (macOS) the process-table helpers see no process, and
what depends on them degrades instead of failing.
"""

import ctypes
import os
import resource
import signal
import sys
import time
from collections.abc import Callable

from torchgrade.course import Limits

LINUX = sys.platform.startswith("linux")
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36
MIB = 1 << 20
EXTRA_TEMPLATE_TASKS = 64  # processes and threads import-time code may add to the uid's
REMEMBERED_STATUSES = 256  # exit statuses of children reaped in passing, most recent kept


# ----------------------------------------------------------------------------- limits


def rlimit(which: int, value: int, hard: int | None = None) -> None:
    """Set a resource limit; a hard limit already lower than ours stays."""
    try:
        resource.setrlimit(which, (value, value if hard is None else hard))
    except (ValueError, OSError):
        pass


def set_common_limits(limits: Limits) -> None:
    """Limits shared by the template and its workers: memory, file size, no core dumps."""
    rlimit(resource.RLIMIT_AS, limits.memory_mib * MIB)
    rlimit(resource.RLIMIT_FSIZE, limits.file_size_mib * MIB)
    rlimit(resource.RLIMIT_CORE, 0)
    # A write past RLIMIT_FSIZE then fails with an OSError instead of killing the worker.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def set_worker_limits(limits: Limits) -> None:
    """A worker's own limits: CPU seconds, and no new process or thread."""
    rlimit(resource.RLIMIT_CPU, limits.cpu_s, limits.cpu_s + 2)  # SIGXCPU, then SIGKILL
    rlimit(resource.RLIMIT_NPROC, 0)  # no processes, no threads (non-root uids)


def limit_template_processes() -> None:
    """Cap what import-time code may fork (a fork bomb in a cell stops here).

    RLIMIT_NPROC counts every task of the uid, so the cap is what the uid runs now plus
    room for the workers; root ignores it (the sandbox then drops to nobody first).
    """
    if os.getuid() == 0:
        return
    tasks = 0
    for pid in pids():
        try:
            if os.stat(f"/proc/{pid}").st_uid == os.getuid():
                tasks += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue
    if not tasks:  # no /proc (macOS): no count to build on, so no cap either
        return
    rlimit(resource.RLIMIT_NPROC, tasks + EXTRA_TEMPLATE_TASKS)


# ----------------------------------------------------------------------------- identity


def become_subreaper() -> None:
    """Die with the grader, and adopt orphaned workers (to reap them); Linux only."""
    if LINUX:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # no zygote outlives its grader
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphaned workers come back to us, to be reaped


def drop_privileges(uid: int) -> None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def unshare_network() -> str:
    """Leave the host's network (no sandbox tool): a new, empty network namespace.

    As root that is one call; otherwise only inside a new user namespace, which must be
    entered before any thread starts, i.e. before torch is imported.
    """
    if not LINUX:
        return "shared (no network namespaces on this system)"
    libc = ctypes.CDLL(None, use_errno=True)
    clone_newuser, clone_newnet = 0x10000000, 0x40000000
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:
        return "isolated" if libc.unshare(clone_newnet) == 0 else "shared (unshare failed)"
    if libc.unshare(clone_newuser | clone_newnet) != 0:
        return "shared (no user namespaces)"
    try:  # keep our own uid and gid inside the new user namespace
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    except OSError:
        return "isolated (uid unmapped)"
    return "isolated"


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def as_uid(uid: int, action: Callable[[], object]) -> None:
    """Run ``action`` in a short-lived child that has become ``uid``."""
    pid = os.fork()
    if pid == 0:
        try:
            drop_privileges(uid)
            action()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


# ----------------------------------------------------------------------------- /proc


def pids() -> list[int]:
    """Every process id we can see (none where there is no /proc: macOS)."""
    try:
        return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return []


def children() -> list[int]:
    me, found = os.getpid(), []
    for pid in pids():
        try:
            with open(f"/proc/{pid}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == me:
                    found.append(pid)
        except (OSError, ValueError, IndexError):
            continue
    return found


def process_state(pid: int) -> str:
    """``R``, ``S``, ``T`` (stopped), ``Z`` (zombie)... or ``gone``."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


def uid_of(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


# ----------------------------------------------------------------------------- signals


def send_signal(pid: int, sig: int) -> None:
    """Signal one process; one that is gone already is no error."""
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def kill_all_of_my_uid() -> None:
    """SIGKILL every process of this uid but ourselves, until none is alive (fork bombs race).

    ``kill(-1)`` also "succeeds" on zombies, so its result cannot say when to stop: look at
    the process table instead.
    """
    me, uid = os.getpid(), os.getuid()
    for _ in range(50):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            return
        alive = [p for p in pids() if p != me and uid_of(p) == uid and process_state(p) != "Z"]
        if not alive:
            return
        time.sleep(0.002)


def describe_status(status: int) -> str:
    """A wait status in words: ``killed by SIGSEGV``, ``exited with code 3``."""
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exited with code {os.WEXITSTATUS(status)}"


# ----------------------------------------------------------------------------- reaping


class Reaper:
    """Reaps this process's exited children, remembering how the recent ones ended.

    A zygote or template reaps in passing after every request; when the grader later asks
    how a worker ended, its status may already be here.
    """

    def __init__(self) -> None:
        self.statuses: dict[int, int] = {}  # pid -> wait status, oldest first

    def reap_zombies(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.statuses[pid] = status
            while len(self.statuses) > REMEMBERED_STATUSES:
                del self.statuses[next(iter(self.statuses))]

    def forget(self, pid: int) -> None:
        """A new child got ``pid``: it must not inherit an old child's status."""
        self.statuses.pop(pid, None)

    def kill_and_reap(self, pid: int, grace: float) -> str:
        """End one child and say how it ended (it may have died on its own before).

        ``grace``: seconds to let a child that just closed its socket finish exiting, so its
        own exit status (a segfault, ``os._exit``) is reported rather than our kill.
        """
        if pid in self.statuses:  # already reaped in passing: it ended on its own
            return describe_status(self.statuses.pop(pid))
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
            give_up = time.monotonic() + grace
            while not done and time.monotonic() < give_up:
                time.sleep(0.01)
                done, status = os.waitpid(pid, os.WNOHANG)
            if not done:
                os.kill(pid, signal.SIGKILL)
                done, status = os.waitpid(pid, 0)
                return "killed by the grader"
        except ChildProcessError:
            return describe_status(self.statuses.pop(pid)) if pid in self.statuses else "unknown"
        return describe_status(status)

    def wait_for_exit(self, pid: int, uid: int | None) -> None:
        """Reap a killed child and the processes of ``uid`` that come back to us as orphans."""
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        give_up = time.monotonic() + 5
        while time.monotonic() < give_up and any(uid_of(p) == uid for p in children()):
            self.reap_zombies()
            time.sleep(0.005)

    def kill_strays(self, keep: set[int]) -> None:
        """Kill our children that are not in ``keep`` (orphans that left their session)."""
        for _ in range(50):
            strays = [p for p in children() if p not in keep]
            if not strays:
                return
            for stray in strays:
                send_signal(stray, signal.SIGKILL)
            self.reap_zombies()
