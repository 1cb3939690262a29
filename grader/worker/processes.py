"""The zygote and the template: the sandbox's long-lived processes and their control loops.

Worker side. The zygote (``python -m torchgrade.worker``) imports torch once, never runs student
code, and forks a template per submission; the template executes the submission's cells
(:mod:`torchgrade.worker.loader`) and forks a worker per test (:mod:`torchgrade.worker.server`).
Requests come in and answers go out as :mod:`torchgrade.control` messages; the limits are the
course's :class:`~torchgrade.course.Limits`, received with each template request.

Where the zygote may (see :mod:`torchgrade.sandbox.policy`), each template is the first process
of pid, mount and IPC namespaces of its own, with empty writable places and its own /proc;
killing it ends everything the submission started, and its files and IPC objects go with it.
Before the submission's first cell, the template joins its memory cgroup (when the grader
sent one), drops to its uid and every capability, and sets the hard limits that nothing
forked from it can raise.
"""

import argparse
import gc
import io
import os
import resource
import shutil
import signal
import socket
import sys
import tempfile

from torchgrade import control
from torchgrade.control import Op
from torchgrade.course import Limits
from torchgrade.framing import PeerClosed, recv_message, send_message
from torchgrade.specs import ModuleSpec
from torchgrade.worker import system
from torchgrade.worker.loader import load_modules
from torchgrade.worker.server import Server, namespaces


def main(argv: list[str] | None = None) -> None:
    """Entry point of the zygote (``python -m torchgrade.worker``)."""
    parser = argparse.ArgumentParser(prog="torchgrade.worker")
    parser.add_argument("--ctrl-fd", type=int, required=True)
    parser.add_argument("--unshare-net", action="store_true", help="leave the network namespace")
    parser.add_argument("--workdir", required=True, help="where templates make their folders")
    parser.add_argument(
        "--shared-namespaces", metavar="WHY", help="templates share the zygote's namespaces"
    )
    args = parser.parse_args(argv)

    ctrl = socket.socket(fileno=args.ctrl_fd)
    network = system.unshare_network() if args.unshare_net else "isolated by the sandbox"
    system.become_subreaper()
    # Tried before torch is imported: the probe forks, and a small process forks fast.
    problem = args.shared_namespaces or system.fresh_namespaces_problem()
    warm_up()
    gc.freeze()  # torch & co. stay shared with every template and worker forked from here
    system.rlimit(resource.RLIMIT_CORE, 0)
    torch_version = sys.modules["torch"].__version__
    namespaces = FRESH if not problem else f"{SHARED} ({problem})"
    info = control.zygote_ready(network, namespaces, sys.version.split()[0], torch_version)
    send_message(ctrl, info)
    Zygote(ctrl, args.workdir, fresh=not problem).serve()


FRESH = "own per submission: mount, pid and IPC namespaces, empty /tmp"
SHARED = "shared by the submissions of this grader process"


def warm_up() -> None:
    """Import and exercise torch once, so forked workers start in milliseconds.

    The first optimizer imports torch._dynamo (over a second); numpy/sklearn are what the
    homeworks use. One thread: grading needs no parallelism, results stay reproducible, and
    a worker may not start threads anyway (RLIMIT_NPROC is 0 there).
    """
    import numpy  # noqa: F401
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=0.1)
    model(torch.randn(8, 2)).sum().backward()
    optimizer.step()
    for name in ("sklearn.datasets", "sklearn.model_selection", "torchgrade.probes"):
        try:
            __import__(name)
        except ImportError:
            pass


# ----------------------------------------------------------------------------- zygote


class Zygote:
    """Forks one template per submission and, when asked, removes it and all it left behind.

    Serves :data:`torchgrade.control.ZYGOTE_OPS` on ``ctrl``.
    """

    def __init__(self, ctrl: socket.socket, workdir: str, fresh: bool):
        self.ctrl = ctrl
        self.workdir = workdir
        self.templates: dict[int, int | None] = {}  # pid -> uid (None: the zygote's own)
        self.reaper = system.Reaper()
        self.namespaces = system.PidNamespaces() if fresh else None

    def serve(self) -> None:
        while True:
            try:
                message, _ = recv_message(self.ctrl)
            except PeerClosed:
                os._exit(0)
            request = control.read_request(message, control.ZYGOTE_OPS)
            if request.op is Op.TEMPLATE:
                pid = self.fork_template(request.uid, request.limits)
                send_message(self.ctrl, control.pid_answer(pid))
            elif request.op is Op.REAP:
                uid = self.reap(request.pid)
                send_message(self.ctrl, control.status_answer("removed"))
                if self.namespaces is None:  # after answering: the grader goes on
                    self.reaper.wait_for_exit(request.pid, uid)
            elif request.op is Op.STATE:
                send_message(self.ctrl, control.state_answer(system.process_state(request.pid)))
            self.reaper.reap_zombies()

    def fork_template(self, uid: int | None, limits: Limits) -> int:
        """Fork a template: with fds control, output and (optionally) its cgroup's procs file."""
        _, fds, _, _ = socket.recv_fds(self.ctrl, 1, 3)
        ctrl_fd, out_fd, *cgroup = fds
        _flush_std()
        fresh = self.namespaces is not None
        pid = self.namespaces.fork() if fresh else os.fork()
        if pid == 0:
            try:
                self.ctrl.close()
                if fresh:  # the zygote's own pid namespace is none of the template's business
                    self.namespaces.close()
                root = "/tmp" if fresh else self.workdir
                _become_template(ctrl_fd, out_fd, cgroup, uid, limits, root, fresh)
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)
        self.templates[pid] = uid
        return pid

    def reap(self, pid: int) -> int | None:
        """Kill a template, its workers and anything they started; remove their folder.

        Returns the uid they ran as (``None``: the zygote's own).
        """
        uid = self.templates.pop(pid, None)
        if self.namespaces is not None:
            # The first process of a pid namespace: the kernel kills the rest with it, and
            # its files (tmpfs) and IPC objects go with the last of them. Waiting here, before
            # answering, lets the grader find nothing left (and remove its cgroup) at once.
            try:
                os.kill(pid, signal.SIGKILL)
            except PermissionError:  # no CAP_KILL here: kill it as its own uid
                system.as_uid(uid, lambda: system.send_signal(pid, signal.SIGKILL))
            except ProcessLookupError:
                pass
            system.wait_for(pid)
            self.reaper.forget(pid)
            return uid
        folder = _template_dir(self.workdir, pid)
        if uid is None:
            system.kill_group(pid)
            self.reaper.kill_strays(set(self.templates))
            shutil.rmtree(folder, ignore_errors=True)
        else:  # everything of that uid, killed by a process of that uid: no capability needed
            system.as_uid(uid, lambda: (system.kill_all_of_my_uid(), shutil.rmtree(folder, True)))
        return uid


def _become_template(
    ctrl_fd: int,
    out_fd: int,
    cgroup: list[int],
    uid: int | None,
    limits: Limits,
    root: str,
    fresh: bool,
) -> None:
    """In the forked child, before any student code: cgroup, session, namespaces, uid,
    capabilities, hard limits, own folder; then serve the grader."""
    for fd in cgroup:  # opened by the grader: the kernel checks its rights, not ours
        try:
            os.write(fd, b"0")  # "0": this process; its children follow it
        except OSError:
            pass  # the grader sees an empty cgroup and reports memory as not bounded
        os.close(fd)
    os.setsid()
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.close(out_fd)
    tasks = 1 if uid is not None else system.tasks_of_uid(os.getuid())  # before /proc changes
    if fresh:
        system.enter_private_namespaces(limits.submission_memory_mib)
    system.drop_bounding_set()
    if uid is not None:
        system.drop_privileges(uid)
    system.drop_capabilities()
    system.set_submission_limits(limits, tasks)
    folder = _template_dir(root, os.getpid())
    os.mkdir(folder, 0o700)
    os.chdir(folder)
    tempfile.tempdir = folder
    os.environ["TMPDIR"] = os.environ["HOME"] = folder
    ctrl = socket.socket(fileno=ctrl_fd)
    send_message(ctrl, control.template_ready(os.getuid()))
    Template(ctrl, limits, folder).serve()


def _template_dir(root: str, pid: int) -> str:
    return os.path.join(root, f"submission-{pid}")


# ----------------------------------------------------------------------------- template


class Template:
    """Executes the submission once, then hands out one forked worker per test.

    Serves :data:`torchgrade.control.TEMPLATE_OPS` on ``ctrl``. One worker is always forked
    ahead (the *spare*): a test gets it at once, and the next spare is forked while that
    test runs.
    """

    def __init__(self, ctrl: socket.socket, limits: Limits, workdir: str):
        self.ctrl = ctrl
        self.limits = limits
        self.workdir = workdir
        self.student_files: set[str] = set()
        self.spare: tuple[int, socket.socket, int] | None = None
        self.pristine: dict[str, dict] = {}  # the modules as loaded (Server.op_reset)
        self.reaper = system.Reaper()

    def serve(self) -> None:
        while True:
            try:
                message, _ = recv_message(self.ctrl)
            except PeerClosed:
                os._exit(0)
            request = control.read_request(message, control.TEMPLATE_OPS)
            if request.op is Op.LOAD:
                self.load(request.modules)
                # What is loaded now is shared with every worker: keep the collector off
                # those pages, so a worker does not copy them on its first collection.
                gc.freeze()
            elif request.op is Op.SPAWN:
                self.hand_out()
            elif request.op is Op.DISCARD:  # reaped later: nobody waits for it
                system.send_signal(request.pid, signal.SIGKILL)
            elif request.op is Op.KILL:
                status = self.reaper.kill_and_reap(request.pid, request.grace)
                send_message(self.ctrl, control.status_answer(status))
            self.reaper.reap_zombies()

    def load(self, modules: tuple[ModuleSpec, ...]) -> None:
        """Execute the cells, telling the grader which one runs; then report."""

        def announce(module: str, key: str) -> None:
            send_message(self.ctrl, control.cell_event(module, key))

        errors, missing = load_modules(modules, self.student_files, announce)
        self.pristine = namespaces([spec.name for spec in modules])
        _flush_std()
        send_message(self.ctrl, control.loaded_event(errors, missing))

    def hand_out(self) -> None:
        """Give the spare worker to the grader, then fork the next spare."""
        if self.spare is None:
            self.spare = self._fork_worker()
        pid, sock, out = self.spare
        self.spare = None
        send_message(self.ctrl, control.pid_answer(pid))
        socket.send_fds(self.ctrl, [b"W"], [sock.fileno(), out])
        sock.close()
        os.close(out)
        self.spare = self._fork_worker()

    def _fork_worker(self) -> tuple[int, socket.socket, int]:
        """Fork a worker that waits on its socket; returns its pid and the grader's ends."""
        ours, theirs = socket.socketpair()
        read_end, write_end = os.pipe()
        _flush_std()
        pid = os.fork()
        if pid == 0:
            try:
                self.ctrl.close()
                ours.close()
                os.close(read_end)
                _become_worker(write_end, self.limits, self.workdir)
                server = Server(theirs, self.student_files, self.pristine)
                server.rehearse()
                server.serve()
            finally:
                os._exit(0)
        theirs.close()
        os.close(write_end)
        self.reaper.forget(pid)  # a reused pid must not inherit an old worker's status
        return pid, ours, read_end


def _become_worker(out_fd: int, limits: Limits, workdir: str) -> None:
    """Limits and output of a freshly forked worker, before it serves anything."""
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.close(out_fd)
    cap = limits.output_kib * 1024
    sys.stdout = _CappedText(1, cap)
    sys.stderr = _CappedText(2, cap)
    system.set_worker_limits(limits)
    os.chdir(tempfile.mkdtemp(prefix="worker-", dir=workdir))


def _flush_std() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


class _CappedText(io.TextIOBase):
    """stdout/stderr for student prints: keeps ``cap`` characters, silently drops the rest.

    A student's debug prints never cost points: past the cap nothing is written and
    nothing fails.
    """

    def __init__(self, fd: int, cap: int):
        self.fd = fd
        self.left = cap
        self.noted = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.left > 0:
            chunk = text[: self.left]
            self.left -= len(chunk)
            try:
                os.write(self.fd, chunk.encode("utf-8", "replace"))
            except OSError:
                pass
        elif not self.noted:
            self.noted = True
            try:
                os.write(self.fd, b"\n[output truncated]\n")
            except OSError:
                pass
        return len(text)
