"""Operating-system helpers of the sandbox's processes: limits, namespaces, uids, /proc, reaping.

Worker side: runs in the zygote, templates and workers, which the submission may tamper with
(except the zygote, which never runs student code). The limits' values are the course's
(:class:`torchgrade.course.Limits`, received through :mod:`torchgrade.control`); nothing here
repeats them. Where there is no /proc (macOS) the process-table helpers see no process, and
what depends on them degrades instead of failing.
"""

import ctypes
import math
import os
import resource
import signal
import sys
import time
from collections.abc import Callable
from functools import cache

from torchgrade.course import Limits

LINUX = sys.platform.startswith("linux")
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 38, 47, 4
CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWPID = 0x00020000, 0x08000000, 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x8, 0x4000, 0x40000
CAPABILITY_VERSION_3, LAST_CAPABILITY = 0x20080522, 63
# Writable places a submission gets afresh (those that exist here): nothing written there
# is seen by another submission, and all of it vanishes with the submission's namespaces.
PRIVATE_PLACES = ("/tmp", "/var/tmp", "/dev/shm")
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


def set_submission_limits(limits: Limits, tasks: int) -> None:
    """The ceiling of everything the submission will run, set in its template before its code.

    Soft and hard limits alike, so that the template's later code (which the submission's
    cells may have replaced) and every worker forked from it can only lower them: address
    space, file size and CPU seconds per process (a worker lowers CPU to its own limit), no
    core dumps, and at most ``tasks`` + :data:`EXTRA_TEMPLATE_TASKS` processes and threads of
    the submission's uid (root ignores RLIMIT_NPROC: the template has dropped to its own uid).
    """
    rlimit(resource.RLIMIT_AS, limits.memory_mib * MIB)
    rlimit(resource.RLIMIT_FSIZE, limits.file_size_mib * MIB)
    rlimit(resource.RLIMIT_CORE, 0)
    budget = max(1, math.ceil(limits.submission_budget_s))
    rlimit(resource.RLIMIT_CPU, budget, budget + 2)  # SIGXCPU, then SIGKILL
    if os.getuid() != 0 and tasks:
        rlimit(resource.RLIMIT_NPROC, tasks + EXTRA_TEMPLATE_TASKS)
    # A write past RLIMIT_FSIZE then fails with an OSError instead of killing the worker.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def set_worker_limits(limits: Limits) -> None:
    """A worker's own limits: CPU seconds, and no new process or thread.

    Best effort: this runs in a fork of the template, after the submission's cells, which may
    have replaced it; the ceiling that holds whatever they did is :func:`set_submission_limits`.
    """
    rlimit(resource.RLIMIT_CPU, limits.cpu_s, limits.cpu_s + 2)  # SIGXCPU, then SIGKILL
    rlimit(resource.RLIMIT_NPROC, 0)  # no processes, no threads (non-root uids)


def tasks_of_uid(uid: int) -> int:
    """Processes and threads of ``uid`` we can see (0 where there is no /proc: macOS).

    RLIMIT_NPROC counts every task of the uid, so the template's cap builds on this count.
    """
    tasks = 0
    for pid in pids():
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                tasks += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue
    return tasks


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


# ----------------------------------------------------------------------------- namespaces


@cache
def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    return libc


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def fresh_namespaces_problem() -> str:
    """Why templates cannot get namespaces of their own here, or ``""`` when they can.

    Tried in a throw-away child, exactly as :class:`PidNamespaces` and
    :func:`enter_private_namespaces` will do it; call it before torch is imported (the fork
    is then cheap).
    """
    if not LINUX:
        return "no namespaces on this system"
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        reason = b""
        try:
            child = PidNamespaces().fork()  # going back to our own pid namespace included
            if child == 0:
                try:
                    enter_private_namespaces(1)
                except BaseException:
                    os._exit(1)
                os._exit(0)
            if os.waitpid(child, 0)[1] != 0:
                reason = b"mounting a private /tmp and /proc failed"
        except BaseException as exc:
            reason = str(exc).encode()
        os.write(write_end, reason)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        reason = f.read().decode("utf-8", "replace")
    os.waitpid(pid, 0)
    return reason


class PidNamespaces:
    """Forks children that are each the first process (pid 1) of a new pid namespace.

    Needs CAP_SYS_ADMIN (the zygote's, in bubblewrap's namespaces or as root). The parent
    keeps its own namespaces: it goes back to its own pid namespace for later children.
    """

    def __init__(self) -> None:
        self.own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)

    def fork(self) -> int:
        """``os.fork()``, with the child alone in a new pid namespace (its pid there is 1)."""
        _check(_libc().unshare(CLONE_NEWPID), "unshare(CLONE_NEWPID)")
        pid = -1
        try:
            pid = os.fork()
        finally:
            if pid != 0:  # the parent (or a failed fork): our children stay ours again
                _check(_libc().setns(self.own, CLONE_NEWPID), "setns(own pid namespace)")
        return pid

    def close(self) -> None:
        os.close(self.own)


def enter_private_namespaces(tmp_mib: int) -> None:
    """Own mount and IPC namespaces, empty writable places and a /proc of our pid namespace.

    For the first process of a fresh pid namespace, before any student code: a private copy
    of the mount table (nothing mounted here propagates back), a fresh tmpfs of at most
    ``tmp_mib`` MiB on each of :data:`PRIVATE_PLACES` that exists, a /proc that shows only
    this pid namespace, and System V IPC of our own. The kernel removes all of it when the
    namespace's last process is gone.
    """
    libc = _libc()
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWIPC), "unshare(CLONE_NEWNS | CLONE_NEWIPC)")
    _check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "make mounts private")
    options = f"mode=1777,size={tmp_mib}m".encode()
    for place in PRIVATE_PLACES:
        if os.path.isdir(place) and not os.path.islink(place):
            flags = MS_NOSUID | MS_NODEV
            _check(libc.mount(b"tmpfs", place.encode(), b"tmpfs", flags, options), place)
    flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
    _check(libc.mount(b"proc", b"/proc", b"proc", flags, None), "mount /proc")


def drop_bounding_set() -> None:
    """Empty the capability bounding set, where we may (CAP_SETPCAP: a root process zygote).

    Call it before dropping to another uid. Where we may not, :func:`drop_capabilities`'s
    no-new-privs flag keeps exec from granting anything all the same.
    """
    if LINUX:
        for cap in range(LAST_CAPABILITY + 1):
            _libc().prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)


def drop_capabilities() -> None:
    """No capability left, none to gain by exec (setuid files, file capabilities).

    After a switch from root to another uid the kernel has cleared our capabilities already;
    a zygote in a user namespace (an unprivileged bubblewrap) has them as its own uid, and
    ambient ones survive exec: clear everything explicitly.
    """
    if not LINUX:
        return
    libc = _libc()
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: twice 32 bits, all 0
    _check(libc.capset(header, data), "capset")


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


def wait_for(pid: int) -> None:
    """Reap one child (a killed one), whatever became of it."""
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:  # reaped in passing already
        pass


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
