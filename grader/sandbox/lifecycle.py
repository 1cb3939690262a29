"""The sandbox's processes over their lives: a zygote, a template per submission, workers.

Trusted side. The grader starts one **zygote** per process, as :mod:`torchgrade.sandbox.policy`
says. The zygote imports torch once and never runs student code. For each submission it forks
a **template** (in namespaces of its own, and a memory cgroup, where possible) that executes
the submission's cells once and forks a fresh **worker** when a test needs one (milliseconds;
the plugin reuses a worker for the next test of a section after a pass). When the
submission is done the zygote kills the template's namespace (or everything of its uid) and
its files go with it. A template that hangs, crashes or stops answering is replaced by a new
one. The whole submission, loading and tests, has one wall-clock budget
(:attr:`~torchgrade.course.Limits.submission_budget_s`), kept here. Everything this module reads
from those processes goes through :mod:`torchgrade.control`'s checks.
"""

import atexit
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

from torchgrade import control
from torchgrade.control import ControlError, Op
from torchgrade.course import Limits
from torchgrade.framing import (
    MAX_REPLY_HEADER,
    PeerClosed,
    ProtocolError,
    Timeout,
    recv_message,
    send_message,
)
from torchgrade.sandbox.cgroup import MemoryCgroup, memory_cgroup
from torchgrade.sandbox.cputime import CpuClock, locate
from torchgrade.sandbox.policy import (
    SANDBOX_UIDS,
    resolve_method,
    zygote_command,
    zygote_environment,
)
from torchgrade.specs import (
    OUT_OF_TIME,
    Isolation,
    LoadResult,
    ModuleSpec,
    OutOfTime,
    SandboxError,
    SandboxTimeout,
    WorkerFailure,
)

START_TIMEOUT_S = 120.0  # python + torch import + warm-up on a slow, busy machine
CONTROL_TIMEOUT_S = 15.0  # one spawn or kill round trip with the template
MAX_RESTARTS = 3  # template replacements in a row, with no working worker in between
MIN_POLL_S = 0.05  # shortest wait between two readings of a worker's CPU time


class OutputReader:
    """Drains a pipe in a thread, keeping the first ``cap`` bytes; never blocks the writer.

    A worker that serves several tests prints into one pipe: :meth:`mark` reads whatever is
    in the pipe at once (the worker wrote it before answering), so that where one test's
    output ends and the next one's starts does not depend on how fast this thread runs.
    """

    def __init__(self, fd: int, cap: int):
        self.cap = cap
        self.data = bytearray()
        self.dropped = 0
        self._fd = fd
        os.set_blocking(fd, False)
        self._lock = threading.Lock()
        self._open = True
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        while self._open:
            poller.poll()
            self._take()

    def _take(self) -> None:
        """Read what the pipe holds now, without waiting; close it at its end."""
        with self._lock:
            while self._open:
                try:
                    chunk = os.read(self._fd, 65536)
                except BlockingIOError:
                    return
                if not chunk:
                    self._open = False
                    os.close(self._fd)
                    return
                keep = max(0, min(len(chunk), self.cap - len(self.data)))
                self.data += chunk[:keep]
                self.dropped += len(chunk) - keep

    def mark(self) -> int:
        """Bytes kept so far, the pipe read to its current end: where the next test's output
        starts when a worker serves several."""
        self._take()
        return len(self.data)

    def text(self, wait: float = 1.0, start: int = 0, end: int | None = None) -> str:
        """What was written from byte ``start`` to ``end`` (the end: once the writer is gone,
        or after ``wait`` seconds)."""
        if end is None and self._open:
            self._thread.join(wait)
        text = self.data[start:end].decode("utf-8", "replace")
        dropped = self.dropped if end is None else 0
        return text + (f"\n[{dropped} more bytes of output dropped]" if dropped else "")


class Worker:
    """The trusted end of one forked worker: request/response within the test's time.

    A test's time is CPU time, read by the grader from the kernel
    (:mod:`torchgrade.sandbox.cputime`): a busy machine slows a worker down without using up
    its time. A wall-clock backstop of ``wall_factor`` times the CPU limit bounds a worker that
    waits instead of computing, and one whose CPU time cannot be read.
    Implements :class:`torchgrade.specs.Channel`.
    """

    def __init__(
        self,
        sandbox: "Sandbox",
        sock: socket.socket,
        pid: int,
        output: OutputReader,
        clock: CpuClock | None = None,
    ):
        self.sandbox = sandbox
        self.sock = sock
        self.pid = pid
        self.output = output
        self.clock = clock  # None: CPU time unknown, the backstop alone bounds the test
        self.deadline: float | None = None
        self.cpu_limit: float | None = None
        self.cpu_start = 0.0
        self.status: str | None = None  # how the process ended, once it has
        self.out_of_time: OutOfTime | None = None  # why time ran out, once it has

    def start_clock(self, seconds: float) -> None:
        """Every request from now on shares ``seconds`` of CPU time, and ``wall_factor``
        times that of wall-clock time (the backstop)."""
        self.cpu_limit = seconds
        self.cpu_start = (self.clock.seconds() if self.clock else None) or 0.0
        self.deadline = time.monotonic() + seconds * self.sandbox.limits.wall_factor

    def fits(self, seconds: float) -> bool:
        """Whether this worker can serve one more test of ``seconds`` CPU seconds: it still
        runs, never ran out of time, its lifetime ceiling (``cpu_s``, RLIMIT_CPU) stays above
        the CPU time it used plus ``seconds``, so the test's own limit comes first, and the
        submission's budget is not spent (a fresh worker is then refused, with the reason)."""
        if self.status is not None or self.out_of_time is not None or self.clock is None:
            return False
        if self.sandbox.budget_left() <= 0:
            return False
        used = self.clock.seconds()
        return used is not None and used + seconds + 1.0 <= self.sandbox.limits.cpu_s

    def cpu_used(self) -> float | None:
        """CPU seconds the worker used since :meth:`start_clock`; ``None`` when unknown."""
        now = self.clock.seconds() if self.clock else None
        return None if now is None else max(0.0, now - self.cpu_start)

    def request(self, header: dict, buffers: list = ()) -> tuple[dict, list[bytes]]:
        """Send one request and wait for its answer within the test's time.

        Raises:
            OutOfTime: the test's CPU time or the wall-clock backstop ran out.
            WorkerFailure: the worker died or broke the protocol.
            The worker is dead afterwards and the message says why.
        """
        if self.status is not None:
            raise WorkerFailure(f"the worker is no longer running ({self.status})")
        try:
            self.sock.settimeout(self._left())
            send_message(self.sock, header, buffers)
            self._wait_for_answer()
            return recv_message(self.sock, self.deadline, MAX_REPLY_HEADER)
        except (Timeout, TimeoutError) as exc:
            raise self._stop(self.cpu_used()) from exc
        except PeerClosed as exc:
            status = self.close(grace=1.0)
            raise WorkerFailure(f"the worker process died ({status})") from exc
        except ProtocolError as exc:
            self.close(grace=0.0)
            raise WorkerFailure(f"the worker broke the protocol: {exc}") from exc

    def _wait_for_answer(self) -> None:
        """Return once the answer starts arriving; raise :class:`OutOfTime` before that.

        CPU time grows no faster than the wall clock (a worker has one thread), so waiting
        for the CPU time left, then reading the clock again, never overshoots the limit.
        """
        while self.deadline is not None:
            used = self.cpu_used()
            wall_left = self.deadline - time.monotonic()
            if (used is not None and used >= self.cpu_limit) or wall_left <= 0:
                raise self._stop(used)
            wait = wall_left if used is None else min(wall_left, self.cpu_limit - used)
            if select.select([self.sock], [], [], max(wait, MIN_POLL_S))[0]:
                return

    def _stop(self, used: float | None) -> OutOfTime:
        """Kill the worker whose time ran out; the failure to raise, kept as ``out_of_time``."""
        self.close(grace=0.0)
        if used is not None and self.cpu_limit is not None and used >= self.cpu_limit:
            self.out_of_time = OutOfTime(
                f"{OUT_OF_TIME}: {self.cpu_limit:g} s of CPU", backstop=False
            )
        else:
            wall = (self.cpu_limit or 0) * self.sandbox.limits.wall_factor
            cpu = "unknown" if used is None else f"{used:.1f} s"
            self.out_of_time = OutOfTime(
                f"{OUT_OF_TIME}: no answer within {wall:g} s of wall-clock time "
                f"(CPU time used: {cpu} of {self.cpu_limit:g} s)",
                backstop=True,
            )
        return self.out_of_time

    def _left(self) -> float | None:
        return None if self.deadline is None else max(0.001, self.deadline - time.monotonic())

    def close(self, grace: float | None = None) -> str:
        """End the worker; with ``grace`` (after it vanished), find out how it ended."""
        if self.status is None:
            if grace is None:
                self.sandbox.discard(self.pid)
                self.status = "ended after its test"
            else:
                self.status = self.sandbox.kill(self.pid, grace)
            self.sock.close()
        return self.status


class Zygote:
    """The trusted end of a zygote process: forks templates, reaps them.

    One per (isolation method, hidden paths, fresh namespaces or not) and grader process,
    reused by every submission that process grades (see :func:`zygote_for`).
    """

    def __init__(self, method: str, hide: list[Path], fresh: bool = True):
        self.method = method
        self.hide = hide
        self.workdir = tempfile.mkdtemp(prefix="torchgrade-")
        os.chmod(self.workdir, 0o1777)  # templates of other uids make their folders here
        ours, theirs = socket.socketpair()
        self.proc = subprocess.Popen(
            zygote_command(method, hide, self.workdir, theirs.fileno(), fresh),
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=zygote_environment(method, self.workdir),
            cwd=self.workdir,
        )
        theirs.close()
        self.ctrl = ours
        self.output = OutputReader(os.dup(self.proc.stdout.fileno()), 64 * 1024)
        self.proc.stdout.close()
        self.info: control.ZygoteInfo | None = None

    def ready(self) -> control.ZygoteInfo:
        """Wait until the zygote has imported torch; its description (network isolation)."""
        if self.info is None:
            try:
                self.info = self._ask(START_TIMEOUT_S, control.read_zygote_ready)
            except SandboxError as exc:
                self.close()
                raise SandboxError(
                    f"the sandbox did not start: {exc}\n{self.output.text()}"
                ) from exc
        return self.info

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None and self.ctrl.fileno() >= 0

    def new_template(
        self, uid: int | None, limits: Limits, cgroup_fd: int | None = None
    ) -> tuple[int, socket.socket, OutputReader]:
        """Fork a template (into the cgroup whose procs file is ``cgroup_fd``, if any).

        Returns its pid, its control socket and its output.
        """
        ours, theirs = socket.socketpair()
        read_end, write_end = os.pipe()
        fds = [theirs.fileno(), write_end] + ([] if cgroup_fd is None else [cgroup_fd])
        try:
            send_message(self.ctrl, control.template_request(uid, limits))
            socket.send_fds(self.ctrl, [b"T"], fds)
            pid = self._ask(CONTROL_TIMEOUT_S, control.read_pid)
        except OSError as exc:
            ours.close()
            os.close(read_end)
            raise SandboxError(f"the sandbox is gone: {exc}") from exc
        except SandboxError:
            ours.close()
            os.close(read_end)
            raise
        finally:
            theirs.close()
            os.close(write_end)
        return pid, ours, OutputReader(read_end, limits.output_kib * 1024)

    def reap(self, pid: int) -> None:
        """Remove a template and everything of its uid; a zygote that fails is closed."""
        try:
            send_message(self.ctrl, control.pid_request(Op.REAP, pid))
            self._ask(CONTROL_TIMEOUT_S, control.read_status)
        except (OSError, SandboxError):
            self.close()

    def state(self, pid: int) -> str:
        """A template's process state (``R``, ``S``, ``T`` stopped, ``Z``...) or ``gone``."""
        try:
            send_message(self.ctrl, control.pid_request(Op.STATE, pid))
            return self._ask(CONTROL_TIMEOUT_S, control.read_state)
        except (OSError, SandboxError):
            return "gone"

    def _ask(self, timeout: float, read: Callable[[dict], Any]) -> Any:
        return _answer(
            self.ctrl, timeout, "the sandbox", read, lambda: f" ({_exit_status(self.proc)})"
        )

    def close(self) -> None:
        """Kill the zygote and everything under it; remove its folder."""
        _kill_group(self.proc)
        self.ctrl.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


_ZYGOTES: dict[tuple, Zygote] = {}


def zygote_for(method: str, hide: list[Path], fresh: bool = True) -> Zygote:
    """This process's zygote for a method and set of hidden paths, started if needed."""
    key = (method, tuple(hide), fresh)
    zygote = _ZYGOTES.get(key)
    if zygote is None or not zygote.alive:
        zygote = _ZYGOTES[key] = Zygote(method, hide, fresh)
    return zygote


def prestart(method: str, hide: Iterable[Path]) -> None:
    """Launch this process's zygote now, so that it warms up while the caller imports torch.

    :class:`Sandbox` then finds it running (same method and hidden paths).
    """
    zygote_for(resolve_method(method), [Path(p) for p in hide])


@atexit.register
def close_zygotes() -> None:
    """Stop every zygote of this process (also done by the kernel when the process dies)."""
    while _ZYGOTES:
        _ZYGOTES.popitem()[1].close()


class Sandbox:
    """One submission's template (restarted as needed) and the workers forked from it.

    Use as a context manager; :meth:`close` leaves no process of the submission behind.
    ``fresh=False`` keeps templates in the zygote's namespaces (the fallback where the
    kernel allows no others; for comparison in ``bench/sandbox.py``).
    """

    def __init__(
        self,
        *,
        limits: Limits,
        hide: Iterable[Path] = (),
        method: str = "auto",
        fresh: bool = True,
    ):
        self.limits = limits
        self.hide = [Path(p) for p in hide]
        self.method = resolve_method(method)
        self.fresh = fresh
        self.isolation = Isolation(
            self.method,
            limits=asdict(limits),
            hidden=[str(p) for p in self.hide] if self.method == "bubblewrap" else [],
        )
        self.zygote: Zygote | None = None
        self.pid: int | None = None
        self.ctrl: socket.socket | None = None
        self.output: OutputReader | None = None
        self.uid: int | None = None
        self.cgroup: MemoryCgroup | None = None
        self.modules: list[ModuleSpec] = []
        self.restarts = 0
        self.budget_ends: float | None = None  # the submission's deadline, from its first fork

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --------------------------------------------------------------------- template life

    def start(self) -> None:
        """Make sure the zygote is starting (it imports torch while the grader goes on)."""
        if self.zygote is None or not self.zygote.alive:
            self.zygote = zygote_for(self.method, self.hide, self.fresh)

    def ready(self) -> None:
        """Fork this submission's template from the zygote and wait until it answers."""
        if self.ctrl is not None:
            return
        self._check_budget()
        self.start()
        info = self.zygote.ready()
        if self.budget_ends is None:  # the zygote's start-up is the grader's, not the student's
            self.budget_ends = time.monotonic() + self.limits.submission_budget_s
        # Root runs each submission as a fresh unprivileged uid; anyone else stays themselves.
        self.uid = random.choice(SANDBOX_UIDS) if os.geteuid() == 0 else None
        self.cgroup = memory_cgroup(self.limits.submission_memory_mib)
        procs = self.cgroup.procs_fd() if self.cgroup else None
        try:
            self.pid, self.ctrl, self.output = self.zygote.new_template(
                self.uid, self.limits, procs
            )
        finally:
            if procs is not None:
                os.close(procs)
        uid = self._ask(START_TIMEOUT_S, control.read_template_ready)
        own = "unprivileged, of its own" if self.uid is not None else "the grader's"
        self.isolation.network = info.network
        self.isolation.namespaces = info.namespaces
        self.isolation.user = f"uid {uid} ({own})"
        self.isolation.memory = self._memory_bound()

    def _memory_bound(self) -> str:
        """What bounds the submission's memory, checked here: the template is in its cgroup."""
        per_process = f"{self.limits.memory_mib} MiB of address space per process"
        if self.cgroup is None:
            return f"{per_process} (no memory cgroup could be made here)"
        if not self.cgroup.members():
            return f"{per_process} (the template did not join its cgroup)"
        return f"{self.cgroup.describe()}; {per_process}"

    def budget_left(self) -> float:
        """Seconds left of the submission's wall-clock budget (load and tests together)."""
        if self.budget_ends is None:
            return self.limits.submission_budget_s
        return self.budget_ends - time.monotonic()

    def _check_budget(self) -> None:
        if self.budget_left() <= 0:
            raise SandboxError(
                f"the submission used up its time budget ({self.limits.submission_budget_s:g} s "
                "for loading and every test together)"
            )

    def _send(self, header: dict) -> None:
        try:
            send_message(self.ctrl, header)
        except OSError as exc:
            raise SandboxError(f"the worker template is gone: {exc}") from exc

    def _ask(self, timeout: float, read: Callable[[dict], Any]) -> Any:
        return _answer(self.ctrl, timeout, "the worker template", read)

    def close(self) -> None:
        """Kill the template, its workers and whatever they started; remove their folder."""
        if self.ctrl is not None:
            self.ctrl.close()
            self.ctrl = None
            self.zygote.reap(self.pid)
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None

    def _restart(self) -> None:
        """Replace a broken template; give up after several failures in a row."""
        if self.restarts >= MAX_RESTARTS:
            raise SandboxError(
                "the worker template failed repeatedly; giving up on this submission"
            )
        self.restarts += 1
        self.close()
        self.ready()
        self._load_once(self.modules)

    # --------------------------------------------------------------------- loading

    def load(
        self, modules: list[ModuleSpec], on_cell: Callable[[str, str], None] | None = None
    ) -> LoadResult:
        """Execute the submission's cells in the template, blaming hangs and crashes on a cell.

        Loading all the cells has ``import_timeout_s``; a cell that is still running then, or
        that kills the template, is recorded as that cell's error; the template is restarted
        without it and the rest loads normally, with a fresh clock. All of it counts against
        the submission's budget: when that runs out, loading fails as a whole.
        """
        blamed: dict[tuple[str, str], str] = {}
        while True:
            todo = [
                ModuleSpec(m.name, [c for c in m.cells if (m.name, c.key) not in blamed], m.expect)
                for m in modules
            ]
            self.ready()
            culprit, outcome = self._load_attempt(todo, on_cell)
            if culprit is None:
                self.modules = todo
                outcome.output = self.output.text(0)
                for (module, key), reason in blamed.items():
                    outcome.errors.setdefault(module, {})[key] = {
                        "type": "WorkerFailure",
                        "message": reason,
                        "traceback": "",
                    }
                return outcome
            blamed[culprit] = outcome
            self.close()

    def _load_attempt(
        self, modules: list[ModuleSpec], on_cell: Callable[[str, str], None] | None
    ) -> tuple[tuple[str, str], str] | tuple[None, LoadResult]:
        """One try: ``(None, result)`` on success, ``((module, key), reason)`` on a bad cell."""
        self._send(control.load_request(modules))
        current = None
        timeout = self.limits.import_timeout_s
        ends = time.monotonic() + min(timeout, self.budget_left())
        while True:
            try:
                read = partial(control.read_load_event, modules=modules)
                event = self._ask(max(0.001, ends - time.monotonic()), read)
            except SandboxError as exc:
                self._check_budget()
                if current is None:
                    raise
                if isinstance(exc, SandboxTimeout):
                    return current, f"did not finish within {timeout:g} s while the module loaded"
                return current, "crashed the worker while the module loaded"
            if isinstance(event, LoadResult):
                return None, event
            current = event
            if on_cell:
                on_cell(*current)

    def _load_once(self, modules: list[ModuleSpec]) -> None:
        culprit, _ = self._load_attempt(modules, None)
        if culprit is not None:
            raise SandboxError(f"cell {culprit[1]} failed on reload")

    # --------------------------------------------------------------------- workers

    def spawn(self) -> Worker:
        """A fresh worker for one test (the template forked it ahead of time).

        Raises:
            SandboxError: no worker can be had, or the submission's time budget is spent (a
                test already running keeps its own limit).
        """
        self._check_budget()
        for attempt in range(2):
            try:
                self._send(control.spawn_request())
                pid = self._control_answer(control.read_pid)
                _, fds, _, _ = socket.recv_fds(self.ctrl, 1, 2)
                if len(fds) != 2:
                    raise SandboxError("the worker template sent no worker")
            except (SandboxError, OSError):
                if attempt:
                    raise
                self._restart()
                continue
            self.restarts = 0  # the template works again: a later failure gets a fresh budget
            sock_fd, read_end = fds
            cap = self.limits.output_kib * 1024
            output = OutputReader(read_end, cap)
            clock = locate(self.zygote.proc.pid, pid)
            return Worker(self, socket.socket(fileno=sock_fd), pid, output, clock)
        raise AssertionError("unreachable")

    def discard(self, pid: int) -> None:
        """End a worker whose test is over; nobody waits for it to be reaped."""
        try:
            self._send(control.pid_request(Op.DISCARD, pid))
        except SandboxError:
            self._restart()

    def kill(self, pid: int, grace: float = 0.0) -> str:
        """Have the template kill and reap one worker; replace a template that does not."""
        try:
            self._send(control.kill_request(pid, grace))
            return self._control_answer(control.read_status)
        except SandboxError:
            self._restart()
            return "killed with its template"

    def _control_answer(self, read: Callable[[dict], Any]) -> Any:
        """The template's answer to a control request; fail fast if it is stopped or dead.

        A worker may stop (SIGSTOP) or kill its template; asking the zygote about the
        template's state every second turns a long silent wait into a quick restart.
        """
        give_up = time.monotonic() + CONTROL_TIMEOUT_S
        while True:
            left = give_up - time.monotonic()
            readable, _, _ = select.select([self.ctrl], [], [], max(0.0, min(1.0, left)))
            if readable:  # a whole message is read with the remaining time, never a part
                return self._ask(max(left, 0.01), read)
            if left <= 0:
                raise SandboxTimeout(
                    f"no answer from the worker template within {CONTROL_TIMEOUT_S:g} s"
                )
            state = self.zygote.state(self.pid)
            if state in ("T", "t", "Z", "X", "gone"):
                raise SandboxError(f"the worker template is not running (state {state})")


def _answer(
    sock: socket.socket,
    timeout: float,
    who: str,
    read: Callable[[dict], Any],
    why: Callable[[], str] = lambda: "",
) -> Any:
    """One control message from ``who`` within ``timeout`` seconds, checked by ``read``.

    Raises:
        SandboxTimeout: no whole message in time.
        SandboxError: the process is gone or sent something the protocol does not allow.
    """
    try:
        header, _ = recv_message(sock, time.monotonic() + timeout, MAX_REPLY_HEADER)
    except Timeout as exc:
        raise SandboxTimeout(f"no answer from {who} within {timeout:g} s") from exc
    except ProtocolError as exc:
        raise SandboxError(f"{who} failed{why()}: {exc}") from exc
    try:
        return read(header)
    except ControlError as exc:
        raise SandboxError(f"{who} broke the control protocol: {exc}") from exc


def _exit_status(proc: subprocess.Popen) -> str:
    try:
        code = proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        return "still running"
    return f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the zygote's whole session; bwrap's pid namespace takes the rest with it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
