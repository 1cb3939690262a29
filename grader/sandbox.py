"""Where student code runs: a sandboxed zygote, a template per submission, a worker per test.

The grader (trusted) starts one **zygote** per process (``python -m grader.worker``):

- under ``bubblewrap`` (``bwrap``) when available: own pid, network, IPC and UTS namespaces,
  a read-only view of just the system, Python and the ``grader`` package with the hidden
  suites and the solutions masked, a private ``/tmp``, ``--die-with-parent``;
- as a plain child process otherwise (``process``): the same limits, its own session, a new
  network namespace where the kernel allows one.

The zygote imports torch once and never runs student code. For each submission it forks a
**template** that, when the grader runs as root, becomes an unprivileged uid of its own (a
process can signal, trace or count against the process limit only of its own uid, so
submissions graded side by side stay apart), executes the submission's cells once, and forks
a fresh **worker** per test (milliseconds). When the submission is done the zygote kills
everything of that uid and removes its folder. A template that hangs, crashes or stops
answering is replaced by a new one.
"""

import atexit
import json
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from grader.course import PACKAGE_DIR, Limits
from grader.errors import GraderError
from grader.framing import PeerClosed, ProtocolError, Timeout, recv_message, send_message

SANDBOX_UIDS = range(200_000, 300_000)  # unprivileged, no passwd entry, one per sandbox
START_TIMEOUT_S = 120.0  # python + torch import + warm-up on a slow, busy machine
CONTROL_TIMEOUT_S = 15.0  # one spawn or kill round trip with the template
MAX_RESTARTS = 3  # template replacements in a row, with no working worker in between


class SandboxError(GraderError, RuntimeError):
    """The worker template could not be started or kept alive."""


class SandboxTimeout(SandboxError):
    """A sandbox process did not answer in time (it may still be running)."""


@dataclass
class Isolation:
    """How the submission's code was isolated: printed in every report."""

    method: str  # "bubblewrap", "process" or "none"
    network: str = "shared"
    user: str = ""
    hidden: list[str] = field(default_factory=list)
    limits: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class CellSpec:
    """One cell to execute in the template: its key (exercise name or ``imports``)."""

    key: str
    source: str
    filename: str
    line: int = 1


@dataclass
class ModuleSpec:
    """One homework module to build in the template from its cells."""

    name: str
    cells: list[CellSpec]
    expect: list[str]


@dataclass
class LoadResult:
    """What happened while the template executed the cells, per module."""

    errors: dict[str, dict[str, dict]]  # module -> cell key -> {type, message, traceback}
    missing: dict[str, list[str]]  # module -> names the cells did not define
    output: str = ""  # what the cells printed (capped)


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


def hidden_paths(course_suites: Path, course_root: Path) -> list[Path]:
    """What a worker must never see: the hidden suites and the reference solutions."""
    paths = [course_suites, course_root / "solutions"]
    spec = find_spec("solutions")
    if spec and spec.submodule_search_locations:
        paths += [Path(p) for p in spec.submodule_search_locations]
    return sorted({p.resolve() for p in paths if p.exists()})


class OutputReader:
    """Drains a pipe in a thread, keeping the first ``cap`` bytes; never blocks the writer."""

    def __init__(self, fd: int, cap: int):
        self.cap = cap
        self.data = bytearray()
        self.dropped = 0
        self._file = os.fdopen(fd, "rb", buffering=0)
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while chunk := self._file.read(65536):
            keep = max(0, min(len(chunk), self.cap - len(self.data)))
            self.data += chunk[:keep]
            self.dropped += len(chunk) - keep
        self._file.close()

    def text(self, wait: float = 1.0) -> str:
        """What was written, once the writer is gone (or after ``wait`` seconds)."""
        self._thread.join(wait)
        text = self.data.decode("utf-8", "replace")
        return text + (f"\n[{self.dropped} more bytes of output dropped]" if self.dropped else "")


class Worker:
    """The trusted end of one forked worker: request/response with a deadline."""

    def __init__(self, sandbox: "Sandbox", sock: socket.socket, pid: int, output: OutputReader):
        self.sandbox = sandbox
        self.sock = sock
        self.pid = pid
        self.output = output
        self.deadline: float | None = None
        self.time_limit: float | None = None
        self.status: str | None = None  # how the process ended, once it has

    def start_clock(self, seconds: float) -> None:
        """Every request from now on must be answered within ``seconds`` in total."""
        self.time_limit = seconds
        self.deadline = time.monotonic() + seconds

    def request(self, header: dict, buffers: list = ()) -> tuple[dict, list[bytes]]:
        """Send one request and wait for its answer until the test's deadline.

        Raises:
            WorkerFailure: the worker died, broke the protocol or ran out of time; it is dead
                afterwards and the message says why.
        """
        from grader.remote import WorkerFailure

        if self.status is not None:
            raise WorkerFailure(f"the worker is no longer running ({self.status})")
        try:
            self.sock.settimeout(self._left())
            send_message(self.sock, header, buffers)
            return recv_message(self.sock, self.deadline)
        except (Timeout, TimeoutError) as exc:
            self.close(grace=0.0)
            raise WorkerFailure(
                f"timed out: the test's time limit ({self.time_limit:g} s) ran out"
            ) from exc
        except PeerClosed as exc:
            status = self.close(grace=1.0)
            raise WorkerFailure(f"the worker process died ({status})") from exc
        except ProtocolError as exc:
            self.close(grace=0.0)
            raise WorkerFailure(f"the worker broke the protocol: {exc}") from exc

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

    One per (isolation method, hidden paths) and grader process, reused by every submission
    that process grades (see :func:`zygote_for`).
    """

    def __init__(self, method: str, hide: list[Path]):
        self.method = method
        self.hide = hide
        self.workdir = tempfile.mkdtemp(prefix="torchgrade-")
        os.chmod(self.workdir, 0o1777)  # templates of other uids make their folders here
        ours, theirs = socket.socketpair()
        self.proc = subprocess.Popen(
            self._command(theirs.fileno()),
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=self._environment(),
            cwd=self.workdir,
        )
        theirs.close()
        self.ctrl = ours
        self.output = OutputReader(os.dup(self.proc.stdout.fileno()), 64 * 1024)
        self.proc.stdout.close()
        self.info: dict | None = None

    def ready(self) -> dict:
        """Wait until the zygote has imported torch; its description (network isolation)."""
        if self.info is None:
            try:
                self.info = self._recv(START_TIMEOUT_S)
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
        self, uid: int | None, limits: Limits
    ) -> tuple[int, socket.socket, "OutputReader"]:
        """Fork a template; returns its pid, its control socket and its output."""
        ours, theirs = socket.socketpair()
        read_end, write_end = os.pipe()
        try:
            send_message(self.ctrl, {"op": "template", "uid": uid, "limits": asdict(limits)})
            socket.send_fds(self.ctrl, [b"T"], [theirs.fileno(), write_end])
            pid = self._recv(CONTROL_TIMEOUT_S)["pid"]
        except (OSError, KeyError) as exc:
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
            send_message(self.ctrl, {"op": "reap", "pid": pid})
            self._recv(CONTROL_TIMEOUT_S)
        except (OSError, SandboxError):
            self.close()

    def state(self, pid: int) -> str:
        """A template's process state (``R``, ``S``, ``T`` stopped, ``Z``...) or ``gone``."""
        try:
            send_message(self.ctrl, {"op": "state", "pid": pid})
            return str(self._recv(CONTROL_TIMEOUT_S).get("state", "gone"))
        except (OSError, SandboxError):
            return "gone"

    def _recv(self, timeout: float) -> dict:
        return _answer(self.ctrl, timeout, "the sandbox", lambda: f" ({_exit_status(self.proc)})")

    def close(self) -> None:
        """Kill the zygote and everything under it; remove its folder."""
        _kill_group(self.proc)
        self.ctrl.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _command(self, fd: int) -> list[str]:
        worker = [sys.executable, "-s", "-B", "-m", "grader.worker", "--ctrl-fd", str(fd)]
        if self.method == "process":
            return [*worker, "--workdir", self.workdir, "--unshare-net"]
        return [*self._bwrap_prefix(), *worker, "--workdir", "/tmp"]

    def _bwrap_prefix(self) -> list[str]:
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
        for path in self._readable_paths():
            for parent in reversed(path.parents):
                if str(parent) not in made:
                    made.add(str(parent))
                    args += ["--perms", "0755", "--dir", str(parent)]
            args += ["--ro-bind", str(path), str(path)]
        args += ["--proc", "/proc", "--dev", "/dev"]
        for secret in self.hide:
            args += ["--perms", "0000", "--tmpfs", str(secret)]
        return [*args, "--chdir", "/tmp", "--"]

    def _readable_paths(self) -> list[Path]:
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
                any(s == path or (path in s.parents and path not in installed) for s in self.hide)
                and path != PACKAGE_DIR
            )
            under_system = path.parts[1:2] and "/" + path.parts[1] in ("/usr", "/etc")
            # The worker's own private /tmp must stay writable: never bind /tmp itself.
            private = path in (Path("/"), Path("/tmp"))
            if not holds_secret and not under_system and not private:
                keep.add(path)
        # A folder inside another kept folder is bound with it.
        return sorted(p for p in keep if not any(q in p.parents for q in keep))

    def _environment(self) -> dict[str, str]:
        home = "/tmp" if self.method == "bubblewrap" else self.workdir
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


_ZYGOTES: dict[tuple, Zygote] = {}


def zygote_for(method: str, hide: list[Path]) -> Zygote:
    """This process's zygote for a method and set of hidden paths, started if needed."""
    key = (method, tuple(hide))
    zygote = _ZYGOTES.get(key)
    if zygote is None or not zygote.alive:
        zygote = _ZYGOTES[key] = Zygote(method, hide)
    return zygote


def prestart(method: str, hide: Iterable[Path]) -> None:
    """Launch this process's zygote now, so that it warms up while the caller imports torch.

    :class:`Sandbox` then finds it running (same method and hidden paths).
    """
    zygote_for(Sandbox.resolve_method(method), [Path(p) for p in hide])


@atexit.register
def close_zygotes() -> None:
    """Stop every zygote of this process (also done by the kernel when the process dies)."""
    while _ZYGOTES:
        _ZYGOTES.popitem()[1].close()


class Sandbox:
    """One submission's template (restarted as needed) and the workers forked from it.

    Use as a context manager; :meth:`close` leaves no process of the submission behind.
    """

    def __init__(self, *, limits: Limits, hide: Iterable[Path] = (), method: str = "auto"):
        self.limits = limits
        self.hide = [Path(p) for p in hide]
        self.method = self.resolve_method(method)
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
        self.modules: list[ModuleSpec] = []
        self.restarts = 0

    @staticmethod
    def resolve_method(method: str) -> str:
        """``auto`` -> ``bubblewrap`` where it works, else ``process``; others are checked."""
        if not hasattr(os, "fork"):
            raise SandboxError("grading needs a Unix system (Linux or macOS; on Windows, WSL)")
        if method == "auto":
            return "bubblewrap" if bwrap_available() else "process"
        if method == "bubblewrap" and not bwrap_available():
            raise SandboxError("bubblewrap (bwrap) is not installed or not usable here")
        if method not in ("bubblewrap", "process"):
            raise SandboxError(f"unknown sandbox method {method!r}")
        return method

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --------------------------------------------------------------------- template life

    def start(self) -> None:
        """Make sure the zygote is starting (it imports torch while the grader goes on)."""
        if self.zygote is None or not self.zygote.alive:
            self.zygote = zygote_for(self.method, self.hide)

    def ready(self) -> None:
        """Fork this submission's template from the zygote and wait until it answers."""
        if self.ctrl is not None:
            return
        self.start()
        info = self.zygote.ready()
        # Root runs each submission as a fresh unprivileged uid; anyone else stays themselves.
        self.uid = random.choice(SANDBOX_UIDS) if os.geteuid() == 0 else None
        self.pid, self.ctrl, self.output = self.zygote.new_template(self.uid, self.limits)
        ready = self._recv(START_TIMEOUT_S)
        own = "unprivileged, of its own" if self.uid is not None else "the grader's"
        self.isolation.network = info["network"]
        self.isolation.user = f"uid {ready['uid']} ({own})"

    def _send(self, header: dict) -> None:
        try:
            send_message(self.ctrl, header)
        except OSError as exc:
            raise SandboxError(f"the worker template is gone: {exc}") from exc

    def _recv(self, timeout: float) -> dict:
        return _answer(self.ctrl, timeout, "the worker template")

    def close(self) -> None:
        """Kill the template, its workers and whatever they started; remove their folder."""
        if self.ctrl is not None:
            self.ctrl.close()
            self.ctrl = None
            self.zygote.reap(self.pid)

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

        A cell that hangs past ``import_timeout_s`` or kills the template is recorded as that
        cell's error; the template is restarted without it and the rest loads normally.
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
                result = LoadResult(outcome["errors"], outcome["missing"], self.output.text(0))
                for (module, key), reason in blamed.items():
                    result.errors.setdefault(module, {})[key] = {
                        "type": "WorkerFailure",
                        "message": reason,
                        "traceback": "",
                    }
                return result
            blamed[culprit] = outcome
            self.close()

    def _load_attempt(self, modules: list[ModuleSpec], on_cell) -> tuple[tuple | None, object]:
        """One try: ``(None, report)`` on success, ``((module, key), reason)`` on a bad cell."""
        payload = [
            {"name": m.name, "expect": m.expect, "cells": [asdict(c) for c in m.cells]}
            for m in modules
        ]
        self._send({"op": "load", "modules": payload})
        current = None
        timeout = self.limits.import_timeout_s
        while True:
            try:
                message = self._recv(timeout)
            except SandboxError as exc:
                if current is None:
                    raise
                if isinstance(exc, SandboxTimeout):
                    return current, f"did not finish within {timeout:g} s while the module loaded"
                return current, "crashed the worker while the module loaded"
            if message.get("event") == "cell":
                current = (message["module"], message["key"])
                if on_cell:
                    on_cell(*current)
            elif message.get("event") == "loaded":
                return None, _load_report(message["modules"])

    def _load_once(self, modules: list[ModuleSpec]) -> None:
        culprit, _ = self._load_attempt(modules, None)
        if culprit is not None:
            raise SandboxError(f"cell {culprit[1]} failed on reload")

    # --------------------------------------------------------------------- workers

    def spawn(self) -> Worker:
        """A fresh worker for one test (the template forked it ahead of time)."""
        for attempt in range(2):
            try:
                self._send({"op": "spawn"})
                pid = self._control_answer()["pid"]
                _, fds, _, _ = socket.recv_fds(self.ctrl, 1, 2)
                if len(fds) != 2:
                    raise SandboxError("the worker template sent no worker")
            except (SandboxError, OSError, KeyError):
                if attempt:
                    raise
                self._restart()
                continue
            self.restarts = 0  # the template works again: a later failure gets a fresh budget
            sock_fd, read_end = fds
            cap = self.limits.output_kib * 1024
            return Worker(self, socket.socket(fileno=sock_fd), pid, OutputReader(read_end, cap))
        raise AssertionError("unreachable")

    def discard(self, pid: int) -> None:
        """End a worker whose test is over; nobody waits for it to be reaped."""
        try:
            self._send({"op": "discard", "pid": pid})
        except SandboxError:
            self._restart()

    def kill(self, pid: int, grace: float = 0.0) -> str:
        """Have the template kill and reap one worker; replace a template that does not."""
        try:
            self._send({"op": "kill", "pid": pid, "grace": grace})
            return self._control_answer().get("status", "unknown")
        except SandboxError:
            self._restart()
            return "killed with its template"

    def _control_answer(self) -> dict:
        """The template's answer to a control request; fail fast if it is stopped or dead.

        A worker may stop (SIGSTOP) or kill its template; asking the zygote about the
        template's state every second turns a long silent wait into a quick restart.
        """
        give_up = time.monotonic() + CONTROL_TIMEOUT_S
        while True:
            left = give_up - time.monotonic()
            readable, _, _ = select.select([self.ctrl], [], [], max(0.0, min(1.0, left)))
            if readable:  # a whole message is read with the remaining time, never a part
                return self._recv(max(left, 0.01))
            if left <= 0:
                raise SandboxTimeout(
                    f"no answer from the worker template within {CONTROL_TIMEOUT_S:g} s"
                )
            state = self.zygote.state(self.pid)
            if state in ("T", "t", "Z", "X", "gone"):
                raise SandboxError(f"the worker template is not running (state {state})")


def _installation_dirs() -> set[Path]:
    """Folders that hold only the Python installation and its packages."""
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    dirs |= {sysconfig.get_paths()[key] for key in ("purelib", "platlib", "stdlib")}
    return {Path(d).resolve() for d in dirs if d}


def _load_report(modules: dict) -> dict:
    return {
        "errors": {name: info.get("errors", {}) for name, info in modules.items()},
        "missing": {name: info.get("missing", []) for name, info in modules.items()},
    }


def _answer(sock: socket.socket, timeout: float, who: str, why=lambda: "") -> dict:
    """One control message from ``who`` within ``timeout`` seconds, or a SandboxError."""
    try:
        header, _ = recv_message(sock, time.monotonic() + timeout)
    except Timeout as exc:
        raise SandboxTimeout(f"no answer from {who} within {timeout:g} s") from exc
    except ProtocolError as exc:
        raise SandboxError(f"{who} failed{why()}: {exc}") from exc
    return header


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


class InProcessSandbox:
    """``--no-sandbox``: the submission runs inside the grader. For instructors' debugging only.

    Same interface as :class:`Sandbox`, and requests still go through the wire encoding,
    but nothing is isolated or limited: a submission can change its own score here. Reports
    say so.
    """

    def __init__(self, *, limits: Limits, **_: object):
        self.limits = limits
        self.isolation = Isolation(
            "none", network="shared", user=f"uid {os.getuid()}", limits=asdict(limits)
        )
        self.student_files: set[str] = set()

    def __enter__(self) -> "InProcessSandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass

    def load(self, modules: list[ModuleSpec], on_cell=None) -> LoadResult:
        from grader.worker import Template

        template = Template(ctrl=None, limits={}, workdir=os.getcwd())
        template.send = lambda message: on_cell and on_cell(message["module"], message["key"])
        report = template.load([asdict(m) for m in modules])
        self.student_files = template.student_files
        return LoadResult(**_load_report(report["modules"]))

    def spawn(self) -> "InProcessWorker":
        from grader.worker import Server

        return InProcessWorker(self, Server(None, self.student_files))


class InProcessWorker(Worker):
    """A worker without a process: requests are served by a :class:`~grader.worker.Server` here."""

    def __init__(self, sandbox: InProcessSandbox, server) -> None:
        self.sandbox = sandbox
        self.server = server
        self.output = _NoOutput()
        self.deadline = self.time_limit = self.status = None

    def request(self, header: dict, buffers: list = ()) -> tuple[dict, list[bytes]]:
        # Through JSON and bytes, as on the wire, so values look exactly as a real worker's.
        reply, out = self.server.handle(json.loads(json.dumps(header)), [bytes(b) for b in buffers])
        return json.loads(json.dumps(reply)), [bytes(b) for b in out]

    def close(self, grace: float | None = None) -> str:
        self.status = self.status or "finished"
        return self.status


class _NoOutput:
    def text(self, wait: float = 0.0) -> str:
        return ""
