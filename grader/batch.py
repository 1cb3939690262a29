"""Grading a whole class: a folder or glob of submissions, in parallel, into a gradebook.

``jobs`` trusted grader processes run side by side. Each is a long-lived
``python -m torchgrade.batch`` that grades one submission at a time with
:func:`torchgrade.grading.grade` — the same sandboxed path as ``grader grade`` — and keeps its
sandbox's zygote (torch already imported) from one submission to the next, so a class of
hundreds costs one start-up per process, not one per student. Student code never runs in
these processes, and this one (the batch) only reads the JSON they write: a grader process
that crashes or passes ``timeout_s`` on a submission is interrupted, then killed, that
student's row says why, and a fresh process takes the next submission.

Each student's outcome is saved as one JSON file in the reports folder
(:class:`~torchgrade.results.BatchEntry`: the report, or why there is none) beside the score
table the student would see (``.txt``); the CSV gradebook is rebuilt from all saved entries at
the end, also after Ctrl-C. A later run skips every student whose saved entry matches the
submission's current files (a fingerprint of names and contents), unless ``force``.

Who a submission belongs to comes from its file or folder name (:mod:`torchgrade.roster`: the
names Canvas, Moodle and GitHub Classroom give downloads, or ``alice/``, ``alice.ipynb``), and
the assignment's module name is removed from a file name, so ``alice_hw1_basics.ipynb`` and
``alice-sem4_regularization.ipynb`` in one folder are both Alice's and are graded together
(each assignment is matched by its module name).
"""

import argparse
import glob
import hashlib
import json
import os
import queue
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from torchgrade import events, gradebook, roster
from torchgrade.course import Course
from torchgrade.errors import ExitCode, GraderError
from torchgrade.results import BatchEntry, GradeReport
from torchgrade.submission import SKIPPED_DIRS

SUFFIXES = (".ipynb", ".py", ".zip")
DEFAULT_TIMEOUT_S = 1800.0
STOP_GRACE_S = 15.0  # after SIGINT, time for a grader process to take its sandbox down
START_TIMEOUT_S = 300.0  # a grader process imports torch and starts its zygote
JOBS_PER_PROCESS = 100  # then a fresh process: nothing accumulates over a whole class
GRADED, NOT_GRADED = "graded", "not graded"



@dataclass
class Item:
    """One student's submission: the files and folders found for them."""

    student: str
    paths: list[Path]

    def fingerprint(self, options: str = "") -> str:
        """A digest of every file's name and bytes (and the grading options)."""
        digest = hashlib.sha256(options.encode())
        for path in sorted(self.paths):
            for file in _files(path):
                digest.update(str(file.relative_to(path.parent)).encode() + b"\0")
                try:
                    digest.update(hashlib.sha256(file.read_bytes()).digest())
                except OSError as exc:  # unreadable: graded (and failing) like any other
                    digest.update(repr(exc).encode())
        return digest.hexdigest()


@dataclass
class BatchResult:
    """What one batch run did; ``entries`` are this run's students, graded now or skipped."""

    entries: list[BatchEntry]
    graded: list[str]
    skipped: list[str]
    reports_dir: Path
    csv: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def not_graded(self) -> list[BatchEntry]:
        return [e for e in self.entries if not e.graded]


def default_reports_dir(csv_path: Path) -> Path:
    """``gradebook.csv`` keeps its per-student results in ``gradebook_reports/`` beside it."""
    return csv_path.with_name(csv_path.stem + "_reports")


def student_id(path: Path, course: Course, classroom_prefix: str = "") -> str:
    """The student a file or folder belongs to (see :mod:`torchgrade.roster` for the LMS names)."""
    return roster.submitter(path, course, classroom_prefix).key


def discover(
    sources: Sequence[str | Path], course: Course, exclude: Sequence[Path] = ()
) -> tuple[list[Item], list[str]]:
    """The students in ``sources``: folders (each entry is a submission) or glob patterns.

    Returns the items, sorted by student, and notes about what was ignored.
    """
    excluded = {Path(p).resolve() for p in exclude}
    candidates: list[Path] = []
    notes: list[str] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            candidates += sorted(path.iterdir())
        elif path.exists():
            candidates.append(path)
        elif any(c in str(source) for c in "*?["):
            matches = sorted(Path(m) for m in glob.glob(str(source), recursive=True))
            if not matches:
                notes.append(f"{source}: matches nothing")
            candidates += matches
        else:
            notes.append(f"{source}: no such file, folder or pattern")
    prefix = roster.classroom_prefix(p for p in candidates if p.is_dir())
    by_student: dict[str, list[Path]] = {}
    for path in candidates:
        if path.resolve() in excluded or path.name.startswith(".") or path.name in SKIPPED_DIRS:
            continue
        if path.is_file() and path.suffix not in SUFFIXES:
            notes.append(f"{path}: not a notebook, module, zip or folder; ignored")
            continue
        paths = by_student.setdefault(student_id(path, course, prefix), [])
        if path not in paths:
            paths.append(path)
    items = [Item(student, paths) for student, paths in sorted(by_student.items())]
    return items, notes


def grade_batch(
    sources: Sequence[str | Path],
    *,
    course: Course,
    csv_path: Path,
    reports_dir: Path | None = None,
    jobs: int = 1,
    force: bool = False,
    homeworks: list[str] | None = None,
    seed: int | None = None,
    sandbox: str = "auto",
    timeout_s: float = DEFAULT_TIMEOUT_S,
    extras: gradebook.Extras | None = None,
    progress: events.Progress = events.ignore,
) -> BatchResult:
    """Grade every submission in ``sources`` and write the gradebook ``csv_path``.

    Args:
        sources: folders whose entries are submissions, files, or glob patterns.
        course: the course table (its file is handed to every grader process).
        csv_path: the gradebook, rewritten from every saved result in ``reports_dir``.
        reports_dir: where each student's JSON result goes (default: beside the CSV).
        jobs: grader processes running at once.
        force: regrade students whose saved result is current.
        homeworks, seed, sandbox: as for ``grader grade``.
        timeout_s: wall-clock limit for grading one student.
        extras: the roster and exam points the gradebook merges in.
        progress: receives :class:`~torchgrade.events.BatchStarted`, then per student
            :class:`~torchgrade.events.StudentStarted` and
            :class:`~torchgrade.events.StudentFinished`.
    """
    csv_path = Path(csv_path)
    reports_dir = Path(reports_dir) if reports_dir else default_reports_dir(csv_path)
    reports_dir.mkdir(parents=True, exist_ok=True)
    items, notes = discover(sources, course, exclude=[reports_dir, csv_path])
    options = json.dumps({"homeworks": homeworks or [], "course": str(course.table or "")})
    saved = {e.student: e for e in gradebook.load_entries(reports_dir)}
    todo: list[tuple[Item, str]] = []
    skipped: list[BatchEntry] = []
    for item in items:
        fingerprint = item.fingerprint(options)
        previous = saved.get(item.student)
        if previous and previous.fingerprint == fingerprint and not force:
            skipped.append(previous)
        else:
            todo.append((item, fingerprint))
    progress(events.BatchStarted(total=len(todo), skipped=len(skipped)))
    command = _server_command(course, homeworks, seed, sandbox)
    log = reports_dir / "batch.log"
    done: list[BatchEntry] = []
    try:
        done = _run_all(todo, command, reports_dir, log, max(1, jobs), timeout_s, progress)
    finally:
        entries = gradebook.load_entries(reports_dir)
        written = gradebook.write(csv_path, entries, course, homeworks, extras)
    return BatchResult(
        entries=sorted(done + skipped, key=lambda e: e.student),
        graded=sorted(e.student for e in done),
        skipped=sorted(e.student for e in skipped),
        reports_dir=reports_dir,
        csv=written,
        notes=notes,
    )


def _run_all(
    todo: list[tuple[Item, str]],
    command: list[str],
    reports_dir: Path,
    log: Path,
    jobs: int,
    timeout_s: float,
    progress: events.Progress,
) -> list[BatchEntry]:
    """Hand the submissions to ``jobs`` grader processes; return the saved entries."""
    pending: queue.Queue = queue.Queue()
    for job in todo:
        pending.put(job)
    finished: queue.Queue = queue.Queue()
    servers = [_Server(command, log) for _ in range(min(jobs, len(todo)))]
    stop = threading.Event()

    def work(server: "_Server") -> None:
        try:
            while not stop.is_set():
                try:
                    item, fingerprint = pending.get_nowait()
                except queue.Empty:
                    return
                progress(events.StudentStarted(item.student))
                try:
                    entry = _grade_one(server, item, fingerprint, timeout_s)
                except Exception as exc:  # a bug of the batch itself still leaves a row
                    entry = _entry(item, fingerprint)
                    entry.reason = f"batch error: {type(exc).__name__}: {exc}"
                if stop.is_set() and not entry.graded:
                    return  # interrupted by the user: not a result worth keeping
                _save(entry, reports_dir, server.last_table)
                finished.put(entry)
        finally:
            server.close()

    threads = [threading.Thread(target=work, args=(s,), daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    done: list[BatchEntry] = []
    try:
        while len(done) < len(todo) and any(t.is_alive() for t in threads):
            try:
                entry = finished.get(timeout=0.2)
            except queue.Empty:
                continue
            done.append(entry)
            progress(events.StudentFinished(entry))
        while not finished.empty():  # the last ones, if the threads ended meanwhile
            entry = finished.get_nowait()
            done.append(entry)
            progress(events.StudentFinished(entry))
    except BaseException:  # Ctrl-C: stop the graders in flight, keep what is saved
        stop.set()
        for server in servers:
            server.close()
        raise
    return done


def _entry(item: Item, fingerprint: str) -> BatchEntry:
    return BatchEntry(
        student=item.student,
        sources=[str(p) for p in item.paths],
        fingerprint=fingerprint,
        status=NOT_GRADED,
        graded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def _grade_one(server: "_Server", item: Item, fingerprint: str, timeout_s: float) -> BatchEntry:
    entry = _entry(item, fingerprint)
    clock = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="torchgrade-batch-") as tmp:
        target = item.paths[0] if len(item.paths) == 1 else _stage(item, Path(tmp))
        output = Path(tmp) / "report.json"
        reply = server.grade(target, output, timeout_s)
        entry.exit_code = reply.get("exit_code")
        if reply.get("ok") and output.is_file():
            entry.report, entry.reason = _read_report(output, item)
            entry.status = GRADED if entry.report else NOT_GRADED
        else:
            entry.reason = reply.get("error") or "the grader process gave no reason"
    entry.duration_s = time.monotonic() - clock
    return entry


def _save(entry: BatchEntry, reports_dir: Path, table: str) -> None:
    stem = _file_stem(entry.student)
    _write_atomic(reports_dir / f"{stem}.json", json.dumps(entry.to_dict(), indent=1) + "\n")
    if table:
        _write_atomic(reports_dir / f"{stem}.txt", table)


def _server_command(
    course: Course, homeworks: list[str] | None, seed: int | None, sandbox: str
) -> list[str]:
    command = [sys.executable, "-m", "torchgrade.batch", "--sandbox", sandbox]
    if course.table:
        command += ["--course", str(course.table)]
    for homework in homeworks or []:
        command += ["--homework", homework]
    if seed is not None:
        command += ["--seed", str(seed)]
    return command


class _Server:
    """The batch's end of one grader process: one request line, one answer line per student."""

    def __init__(self, command: list[str], log: Path):
        self.command = command
        self.log = log
        self.proc: subprocess.Popen | None = None
        self.jobs = 0
        self.last_table = ""
        self._lock = threading.Lock()

    def grade(self, path: Path, output: Path, timeout_s: float) -> dict:
        """Have the process grade ``path`` into ``output``; an ``ok: false`` answer says why."""
        self.last_table = ""
        try:
            self._start()
        except OSError as exc:
            return {"ok": False, "error": f"could not start a grader process: {exc}"}
        proc = self.proc
        request = {"path": str(path.resolve()), "output": str(output)}
        try:
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
        except (OSError, ValueError):
            return {"ok": False, "error": self._ended(proc, "before grading")}
        # The first submission also waits for the process to import torch and start.
        deadline = time.monotonic() + timeout_s + (START_TIMEOUT_S if self.jobs == 0 else 0)
        line = self._read_line(proc, deadline)
        if line is None:
            self.close()
            return {"ok": False, "error": f"grading did not finish within {timeout_s:g} s"}
        if not line:
            return {"ok": False, "error": self._ended(proc, "while grading")}
        self.jobs += 1
        try:
            reply = json.loads(line)
        except ValueError:
            self.close()
            return {"ok": False, "error": "the grader process answered garbage"}
        self.last_table = reply.pop("table", "")
        if self.jobs >= JOBS_PER_PROCESS or reply.get("restart"):
            self.close()
        return reply

    def _start(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        with open(self.log, "a", encoding="utf-8") as log:
            self.proc = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                errors="replace",
                bufsize=1,
                start_new_session=True,  # Ctrl-C reaches the batch only; it stops these itself
            )
        self.jobs = 0

    @staticmethod
    def _read_line(proc: subprocess.Popen, deadline: float) -> str | None:
        """The next answer line; ``""`` if the process ended, ``None`` at the deadline."""
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                ready, _, _ = select.select([proc.stdout], [], [], min(left, 1.0))
                if ready:
                    return proc.stdout.readline()
        except (OSError, ValueError):  # closed under us: the batch is being stopped
            return ""

    def _ended(self, proc: subprocess.Popen, when: str) -> str:
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        self.close()
        how = (
            f"was killed by {signal.Signals(-code).name}"
            if code is not None and code < 0
            else f"exited with status {code}"
        )
        return f"the grader process {how} {when}"

    def close(self) -> None:
        """Stop the process: SIGINT, so it takes its sandbox down, then SIGKILL its group."""
        with self._lock:
            proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                proc.stdin.close()  # a process between submissions just exits
                proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                _stop(proc)
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass


def _stop(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGINT, STOP_GRACE_S), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _read_report(path: Path, item: Item) -> tuple[GradeReport | None, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        # The grader saw a staged copy of a multi-file submission: name the real files.
        data["submission"] = ", ".join(str(p) for p in item.paths)
        return GradeReport.from_dict(data), ""
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"the grader wrote an unreadable report ({type(exc).__name__}: {exc})"


def _stage(item: Item, folder: Path) -> Path:
    """Copy a student's several files into one folder: one submission of many homeworks."""
    staged = folder / "submission"
    staged.mkdir()
    for path in item.paths:
        if path.is_dir():
            shutil.copytree(path, staged / path.name, symlinks=False, dirs_exist_ok=True)
        else:
            shutil.copy2(path, staged / path.name)
    return staged


def _files(path: Path) -> list[Path]:
    if not path.is_dir():
        return [path]
    found = []
    for entry in sorted(path.iterdir()):
        if entry.is_symlink() or entry.name.startswith(".") or entry.name in SKIPPED_DIRS:
            continue
        found += _files(entry)
    return found


def _file_stem(student: str) -> str:
    """A file name for a student id; ids that need changing get a digest to stay unique."""
    safe = re.sub(r"[^\w.\-]", "_", student).lstrip(".") or "student"
    if safe != student:
        safe += "-" + hashlib.sha256(student.encode()).hexdigest()[:8]
    return safe


def _write_atomic(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


# ----------------------------------------------------------------------------- grader process


def serve(argv: list[str] | None = None) -> int:
    """A batch's grader process: grade each requested submission, answer one line each.

    Requests and answers are JSON lines on the original stdin/stdout; everything else this
    process (or a library) prints goes to stderr, so it can never corrupt an answer.
    """
    from torchgrade.course import load_course
    from torchgrade.grading import grade
    from torchgrade.report import table

    parser = argparse.ArgumentParser(prog="python -m torchgrade.batch")
    parser.add_argument("--course", type=Path)
    parser.add_argument("--homework", action="append")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--sandbox", default="auto")
    args = parser.parse_args(argv)
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    course = load_course(args.course)
    for line in sys.stdin:
        request = json.loads(line)
        answer: dict = {"ok": False}
        try:
            report = grade(
                request["path"],
                course=course,
                seed=args.seed,
                homeworks=args.homework,
                sandbox=args.sandbox,
            )
            output = Path(request["output"])
            output.write_text(json.dumps(report.to_dict(details=True)), encoding="utf-8")
            answer = {
                "ok": True,
                "exit_code": int(report.exit_code),
                "table": table.render(report, width=100),
            }
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # this student's problem or a grader bug: answer, go on
            known = isinstance(exc, GraderError)
            code = exc.exit_code if known else ExitCode.NOT_GRADED
            answer = {"ok": False, "exit_code": int(code), "error": str(exc) or type(exc).__name__}
            if not known:  # an unexpected state: say where, and let a fresh process go on
                answer["error"] = f"grader error: {type(exc).__name__}: {exc}"
                answer["restart"] = True
                traceback.print_exc()
        print(json.dumps(answer), file=answers, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(serve())
