"""Benchmark of batch grading: what one more submission costs a class, sandboxed and not.

Prints figures, asserts nothing (run it, read it)::

    python bench/batch.py                       # 24 submissions of hw1, jobs 1 and 2
    python bench/batch.py --n 12 --profile      # shorter, plus where the steady state goes
    python bench/batch.py --skip-jobs --profile # only the steady state and its breakdown
    python bench/batch.py --skip-jobs --worker-per-test  # the same without reusing workers

It builds N submissions from the reference (``solutions/<id>.py``) and the corpus
(``tests/corpus/<id>/``, each case swapped into the reference as ``tests/test_corpus.py``
does): correct ones, buggy ones, some that crash their worker and one in twenty that hangs.
It grades them through the real batch path (:func:`torchgrade.batch.grade_batch`: long-lived
grader processes, a warm zygote each) with ``--jobs 1`` and ``--jobs 2``, and the correct and
buggy ones also in-process (``--no-sandbox``'s stand-in) for the sandboxed/in-process ratio.

CPU time is the primary figure: the machine may be shared, and wall-clock time then says more
about the neighbours than about the grader. CPU is the user+sys time of every process the
grading started, read from a cgroup of its own (cgroup v1 ``cpuacct`` or v2, when this user
may make one: root), else from ``getrusage`` of this process and its waited-for children
(which misses the sandbox's processes that are killed rather than waited for: marked).
Wall-clock figures are printed beside it, marked as depending on the machine's load.

``--profile`` grades one more submission in this (warm) process, sandboxed, and splits its
cost: the template (fork from the zygote, loading the cells), the per-test worker (fork,
copy-on-write faults, CPU of its own), worker hand-out and round trips per test, pytest's own
per-test overhead and collection, report writing; then the same submission in-process.
The steady state is a difference of two runs (1 + n submissions minus 1): use ``--n 8`` or
more, with ``--n 2`` the start-ups' noise dominates it.

What it printed for hw1 (44 tests) on a 2-core virtual machine under a load average of 8–20
(CPU seconds; wall-clock was 2–3x these and says more about the load than about the grader):

| figure | before huge pages | after |
|---|---|---|
| warm batch (``--n 8``), sandboxed / in-process | 3.46 / 1.23 s = 2.8x | 2.35 / 1.02 s = 2.3x |
| ``--profile``: the same, one submission | 2.80 / 0.91 s = 3.1x | 2.21 / 0.95 s = 2.3x |
| template's system time for 45 forks and hand-outs | 0.49 s | 0.21 s |
| mixed class, per submission, ``--jobs 1`` / ``--jobs 2`` | 3.95 / 3.74 s | 2.96 / 3.07 s |
| 300 submissions on 2 idle cores, CPU-bound lower bound | 9.4 min | 7.7 min |

Then a worker came to serve the consecutive tests of one section after a pass (15 workers per
correct submission instead of 45). ``--n 8 --skip-jobs --profile``, load average 1-3 (the
hw2 threshold bench on both cores): warm batch 2.33 / 1.25 s = 1.87x; the same hour
``--worker-per-test`` gave 3.86 / 1.22 s = 3.17x and reuse again 2.41 / 1.26 s = 1.91x. Of
the sandboxed run's extra 1.03 s (23.3 ms per test, was 28.2): the workers' faults,
rehearsal and serving 0.51 s (per worker 51 ms user, 16 ms system, ~5,200 minor faults over
its ~3 tests), the template's 16 forks and hand-outs 0.14 s, the template's own fork,
namespaces, reaping and bubblewrap 0.31 s, the grader process 0.06 s.
On two idle cores, ``--n 12``: warm batch 2.71 / 1.40 s = 1.94x (wall 1.67x); the mixed
class 2.85 CPU s per submission with ``--jobs 1``, 2.93 with ``--jobs 2``, a wall speed-up of
1.64x (one job keeps 1.12 cores busy: at most 1.74x); 300 submissions >= 7.3 min.
"""

import argparse
import contextlib
import dataclasses
import json
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from helpers import replace_chunks  # noqa: E402
from test_corpus import expectation  # noqa: E402

from torchgrade.course import load_course  # noqa: E402
from torchgrade.plugin import WORKER_PER_TEST_ENV  # noqa: E402

CRASHES = ("fault_segfault", "attack_exit_in_call", "attack_kill_template")
HANGS = ("attack_hang_ignoring_signals",)
HANG_TIMEOUT_S = 5.0  # the benchmark's per-test limit, so a hang costs seconds, not a minute
LOAD_NOTE = "wall: depends on the machine's load"


# ----------------------------------------------------------------------------- CPU accounting


class CpuMeter:
    """CPU seconds (user+sys) of this process and everything it starts, dead ones included."""

    def __init__(self) -> None:
        self.group = _make_cgroup()
        self.source = f"cgroup {self.group}" if self.group else "getrusage (self + children)"

    def read(self) -> float:
        if self.group:
            return _cgroup_cpu(self.group)
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def close(self) -> None:
        """Leave the cgroup and remove it, once the processes left in it have ended."""
        if not self.group:
            return
        from torchgrade.sandbox.lifecycle import close_zygotes

        close_zygotes()  # the profile's zygote would keep the cgroup busy
        with contextlib.suppress(OSError):
            (self.group.parent / "cgroup.procs").write_text(str(os.getpid()))
        for _ in range(50):
            try:
                self.group.rmdir()
                return
            except OSError:
                time.sleep(0.1)
        print(f"could not remove {self.group}: processes are left in it", file=sys.stderr)


def _make_cgroup() -> Path | None:
    """A cgroup of this process's own (root only); ``None`` where none can be made."""
    name = f"torchgrade-bench-{os.getpid()}"
    for base in (Path("/sys/fs/cgroup/cpuacct"), Path("/sys/fs/cgroup")):
        usage = base / "cpuacct.usage" if base.name == "cpuacct" else base / "cpu.stat"
        if not usage.exists():
            continue
        group = base / name
        try:
            group.mkdir()
            (group / "cgroup.procs").write_text(str(os.getpid()))
            return group
        except OSError:
            with contextlib.suppress(OSError):
                group.rmdir()
    return None


def _cgroup_cpu(group: Path) -> float:
    if (group / "cpuacct.usage").exists():
        return int((group / "cpuacct.usage").read_text()) / 1e9
    stat = dict(line.split() for line in (group / "cpu.stat").read_text().splitlines())
    return int(stat["usage_usec"]) / 1e6


@dataclasses.dataclass
class Cost:
    cpu: float
    wall: float

    def __sub__(self, other: "Cost") -> "Cost":
        return Cost(self.cpu - other.cpu, self.wall - other.wall)

    def per(self, n: int) -> "Cost":
        return Cost(self.cpu / max(n, 1), self.wall / max(n, 1))


@contextlib.contextmanager
def measured(meter: CpuMeter):
    """``with measured(m) as cost:`` fills ``cost`` with the block's CPU and wall seconds."""
    cost = Cost(0.0, 0.0)
    cpu, wall = meter.read(), time.perf_counter()
    yield cost
    cost.cpu, cost.wall = meter.read() - cpu, time.perf_counter() - wall


# ----------------------------------------------------------------------------- submissions


def cases(homework: str) -> dict[str, list[tuple[str, str]]]:
    """``kind -> [(name, module text)]``: correct, buggy, crash and hang cases of the corpus."""
    reference = (ROOT / "solutions" / f"{homework}.py").read_text(encoding="utf-8")
    kinds: dict[str, list[tuple[str, str]]] = defaultdict(list)
    kinds["correct"].append(("reference", reference))
    for case in sorted((ROOT / "tests" / "corpus" / homework).glob("*.py")):
        text = replace_chunks(reference, case.read_text(encoding="utf-8"))
        if case.stem in CRASHES:
            kinds["crash"].append((case.stem, text))
        elif case.stem in HANGS:
            kinds["hang"].append((case.stem, text))
        elif not re.match(r"(attack|fault|fair)_", case.stem) and not expectation(case).limits:
            kinds["buggy"].append((case.stem, text))
    return kinds


MIXED = (  # of every 20 submissions: 8 correct, 9 buggy, 2 crash, 1 hangs, spread out
    "correct buggy crash correct buggy buggy correct hang buggy correct "
    "buggy correct crash buggy correct buggy correct buggy correct buggy"
).split()
SAFE = [k if k in ("correct", "buggy") else "buggy" for k in MIXED]


def mix(kinds: dict[str, list[tuple[str, str]]], n: int, safe: bool) -> list[tuple[str, str]]:
    """``n`` submissions in :data:`MIXED`'s proportions (``safe``: correct and buggy only,
    what the in-process mode survives)."""
    pattern = SAFE if safe else MIXED
    seen: dict[str, int] = defaultdict(int)
    chosen = []
    for i in range(n):
        kind = pattern[i % len(pattern)]
        pool = kinds[kind] or kinds["correct"]
        chosen.append((kind, pool[seen[kind] % len(pool)][1]))
        seen[kind] += 1
    return chosen


def write_submissions(folder: Path, homework: str, chosen: list[tuple[str, str]]) -> Path:
    """One folder per student (``s007-buggy/hw1_basics.py``), as a class download looks."""
    folder.mkdir(parents=True)
    for i, (kind, text) in enumerate(chosen):
        student = folder / f"s{i:03d}-{kind}"
        student.mkdir()
        (student / f"{homework}.py").write_text(text, encoding="utf-8")
    return folder


@contextlib.contextmanager
def bench_course(hang_timeout_s: float):
    """The bundled course table with a short per-test limit (a hang costs seconds).

    The copy must sit beside the bundled one (the suites are found next to the table);
    it is removed afterwards.
    """
    bundled = ROOT / "grader" / "course.toml"
    text = bundled.read_text(encoding="utf-8")
    for key in ("test_timeout_s", "import_timeout_s"):
        text = re.sub(rf"^{key}\s*=\s*\S+", f"{key} = {hang_timeout_s:g}", text, flags=re.M)
    copy = bundled.with_name(f".bench-course-{os.getpid()}.toml")
    copy.write_text(text, encoding="utf-8")
    try:
        yield load_course(copy)
    finally:
        copy.unlink()


# ----------------------------------------------------------------------------- batch runs


def run_batch(meter, course, folder: Path, homework: str, jobs: int, sandbox: str):
    """Grade every submission in ``folder``; returns the cost and the scores by kind."""
    from torchgrade.batch import grade_batch

    out = folder.parent / f"out-{sandbox}-{jobs}"
    shutil.rmtree(out, ignore_errors=True)
    with measured(meter) as cost:
        result = grade_batch(
            [folder],
            course=course,
            csv_path=out / "gradebook.csv",
            jobs=jobs,
            homeworks=[homework],
            seed=1,
            sandbox=sandbox,
            force=True,
        )
    scores: dict[str, list[float]] = defaultdict(list)
    for entry in result.entries:
        kind = entry.student.split("-", 1)[1]
        scores[kind].append(entry.report.score if entry.report else -1.0)
    return cost, scores


def describe_scores(scores: dict[str, list[float]]) -> str:
    return ", ".join(
        f"{kind} {sum(v) / len(v):.1f} avg" + (f" ({v.count(-1.0)} not graded)" if -1 in v else "")
        for kind, v in sorted(scores.items())
    )


def steady(meter, course, root: Path, homework: str, chosen, sandbox: str, jobs: int = 1):
    """Per-submission cost in a warm batch: (cost of ``jobs`` + n) minus (cost of ``jobs``:
    each grader process's start-up and first submission), over n."""
    tag = f"{sandbox}-{jobs}-{len(list(root.glob('one-*')))}"
    one = write_submissions(root / f"one-{tag}", homework, chosen[:jobs])
    many = write_submissions(root / f"many-{tag}", homework, chosen[:jobs] + chosen)
    start, _ = run_batch(meter, course, one, homework, jobs, sandbox)
    total, scores = run_batch(meter, course, many, homework, jobs, sandbox)
    return (total - start).per(len(chosen)), start, scores


# ----------------------------------------------------------------------------- profile


class Probe:
    """Wraps functions to count calls and sum their wall and this thread's CPU seconds."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = defaultdict(int)
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self._undo: list = []

    def wrap(self, owner, name: str, label: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.calls[label] += 1
                self.wall[label] += time.perf_counter() - wall
                self.cpu[label] += time.thread_time() - cpu

        setattr(owner, name, timed)
        self._undo.append((owner, name, original))

    def reset(self) -> None:
        self.calls.clear()
        self.wall.clear()
        self.cpu.clear()

    def close(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)


class PytestTimer:
    """A pytest plugin timing collection and each test's phases (CPU of this thread)."""

    def __init__(self, probe: Probe):
        self.probe = probe

    def _timed(self, label: str):
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return (yield)
        finally:
            self.probe.calls[label] += 1
            self.probe.wall[label] += time.perf_counter() - wall
            self.probe.cpu[label] += time.thread_time() - cpu

    @pytest.hookimpl(wrapper=True)
    def pytest_collection(self, session):
        return (yield from self._timed("pytest collection"))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        return (yield from self._timed("pytest test (all phases)"))

    @pytest.hookimpl(wrapper=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        return (yield from self._timed("test body"))

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        if fixturedef.argname == "student":
            return (yield from self._timed("student fixture setup"))
        return (yield)


def _proc_stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from 3 (state) on


def _ns_pids(pid: int) -> list[int]:
    """A process's pids in each pid namespace it is in, outermost first (a template has one of
    its own, where it is 1; the zygote knows it by its pid in bubblewrap's)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return []
    match = re.search(r"^NSpid:\s*(.*)$", status, re.M)
    return [int(p) for p in match.group(1).split()] if match else []


def _children(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                found += [
                    int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()
                ]
    return found


def _descendant(root: int, ns_pid: int, depth: int = 4) -> int | None:
    """The host pid of ``root``'s descendant whose namespaced pid is ``ns_pid``."""
    for child in _children(root):
        pids = _ns_pids(child)
        if ns_pid in (pids[1:] or pids):  # not its host pid, unless it has no other
            return child
        if depth > 1 and (found := _descendant(child, ns_pid, depth - 1)):
            return found
    return None


def _usage(stat: list[str]) -> dict[str, float]:
    tick = os.sysconf("SC_CLK_TCK")
    return {
        "minflt": int(stat[7]),
        "majflt": int(stat[9]),
        "utime": int(stat[11]) / tick,
        "stime": int(stat[12]) / tick,
        "children": (int(stat[13]) + int(stat[14])) / tick,  # reaped workers, whole lives
    }


def profile(meter, course, root: Path, homework: str, chosen) -> None:
    """One more submission in this warm process, sandboxed: where its cost goes."""
    from torchgrade import grading
    from torchgrade.report import table
    from torchgrade.sandbox import lifecycle

    probe = Probe()
    workers: list[dict[str, float]] = []
    templates: list[dict[str, float]] = []
    zygote_pid: list[int] = []
    template_pid: dict[int, int] = {}  # namespaced -> host pid
    spent = [0.0]  # this thread's CPU in the notes below: the profile's own cost

    def template_host(self) -> int | None:
        if self.pid not in template_pid and zygote_pid:
            template_pid[self.pid] = _descendant(zygote_pid[0], self.pid)
        return template_pid.get(self.pid)

    def note_worker(original):
        def close(self, grace=None):
            clock = time.thread_time()
            template = template_host(self.sandbox) if self.status is None else None
            host = _descendant(template, self.pid, 1) if template else None
            stat = _proc_stat(host) if host else None
            if stat:
                workers.append(_usage(stat))
            spent[0] += time.thread_time() - clock
            return original(self, grace)

        return close

    def note_template(original):
        def close(self):
            clock = time.thread_time()
            host = template_host(self) if self.ctrl is not None else None
            stat = _proc_stat(host) if host else None
            if stat:
                templates.append(_usage(stat))
            spent[0] += time.thread_time() - clock
            return original(self)

        return close

    originals = (lifecycle.Worker.close, lifecycle.Sandbox.close)
    lifecycle.Worker.close = note_worker(lifecycle.Worker.close)
    lifecycle.Sandbox.close = note_template(lifecycle.Sandbox.close)
    for owner, name, label in (
        (lifecycle.Sandbox, "ready", "template fork (ready)"),
        (lifecycle.Sandbox, "load", "template load (cells)"),
        (lifecycle.Sandbox, "spawn", "worker hand-out (spawn)"),
        (lifecycle.Sandbox, "discard", "worker discard"),
        (lifecycle.Sandbox, "kill", "worker kill"),
        (lifecycle.Worker, "request", "worker round trip"),
        (lifecycle.Sandbox, "close", "template reap"),
        (grading, "_run_pytest", "pytest.main (suite)"),
        (grading, "load_submission", "read submission"),
    ):
        probe.wrap(owner, name, label)
    timer = PytestTimer(probe)
    main = grading.pytest.main
    grading.pytest.main = lambda args, plugins: main(args, plugins=[*plugins, timer])
    path = root / "profile" / f"{homework}.py"
    path.parent.mkdir(parents=True)
    seen: dict[str, dict[str, float]] = {}
    try:
        for label, sandbox in (("sandboxed", "auto"), ("in-process", "none")):
            for text in (chosen[0][1], chosen[0][1]):  # the first warms up, the second counts
                path.write_text(text, encoding="utf-8")
                probe.reset()
                spent[0] = 0.0
                workers.clear()
                templates.clear()
                own = time.process_time()
                with measured(meter) as cost:
                    report = grading.grade(
                        path, course=course, seed=1, homeworks=[homework], sandbox=sandbox
                    )
                    box = lifecycle._ZYGOTES and next(iter(lifecycle._ZYGOTES.values()))
                    if box and not zygote_pid:
                        zygote_pid.append(box.proc.pid)
                    clock = time.perf_counter(), time.thread_time()
                    json.dumps(report.to_dict(details=True))
                    table.render(report, width=100)
                    probe.wall["report writing"] += time.perf_counter() - clock[0]
                    probe.cpu["report writing"] += time.thread_time() - clock[1]
                    probe.calls["report writing"] += 1
                own = time.process_time() - own - spent[0]
                cost.cpu -= spent[0]
            tests = sum(len(s.tests) for h in report.homeworks for s in h.sections)
            _print_profile(label, cost, own, tests, probe, workers, templates)
            seen[label] = {
                "cpu": cost.cpu,
                "own": own,
                "body": probe.cpu.get("test body", 0.0),
                "workers": sum(w["utime"] + w["stime"] for w in workers),
                "template": sum(t["utime"] + t["stime"] for t in templates),
                "reaped": sum(t["children"] for t in templates),
                "tests": tests,
            }
        _print_extra(seen["sandboxed"], seen["in-process"])
    finally:
        grading.pytest.main = main
        lifecycle.Worker.close, lifecycle.Sandbox.close = originals
        probe.close()


def _print_extra(boxed: dict[str, float], plain: dict[str, float]) -> None:
    """Where the sandboxed run's CPU beyond the in-process one goes, per test."""
    tests = max(boxed["tests"], 1)
    student = max(plain["body"] - boxed["body"], 0.0)  # the submission's own work, moved out
    sandbox = boxed["cpu"] - boxed["own"]
    parts = {
        "grader process (pytest, round trips, assertions)": boxed["own"] - (plain["own"] - student),
        "template: forks the workers, hands them out": boxed["template"],
        "workers: faults, rehearsal, serving (own code off)": boxed["workers"] - student,
        "workers' exits (unmapping), after their test": boxed["reaped"] - boxed["workers"],
        "the rest: zygote, template reaping, bubblewrap": sandbox
        - boxed["reaped"]
        - boxed["template"],
    }
    extra = boxed["cpu"] - plain["cpu"]
    print(
        f"\nwhere the sandboxed run's extra {extra:.2f} CPU s goes ({extra / tests * 1000:.1f} ms "
        f"per test; the submission's own code, {student:.2f} s, counted on both sides):"
    )
    for name, value in parts.items():
        print(f"  {name:52} {value / tests * 1000:6.1f} ms/test  {value:6.3f} s")


def _print_profile(label, cost, own, tests, probe, workers, templates) -> None:
    print(f"\n{label}: one more submission ({tests} tests) in a warm process")
    print(
        f"  CPU {cost.cpu:6.3f} s in all: grader process {own:6.3f} s, its sandbox "
        f"{cost.cpu - own:6.3f} s   (wall {cost.wall:.2f} s; {LOAD_NOTE})"
    )
    print(f"  {'part':32} {'calls':>6} {'per test':>9} {'grader CPU s':>13} {'wall s':>8}")
    for name in sorted(probe.calls, key=lambda k: -probe.wall[k]):
        calls = probe.calls[name]
        print(
            f"  {name:32} {calls:6d} {calls / max(tests, 1):9.2f} "
            f"{probe.cpu[name]:13.3f} {probe.wall[name]:8.3f}"
        )
    suite = probe.cpu.get("pytest.main (suite)", 0.0)
    body = probe.cpu.get("test body", 0.0)
    protocol = probe.cpu.get("pytest test (all phases)", 0.0)
    fixture = probe.cpu.get("student fixture setup", 0.0)
    print(
        f"  pytest's own per-test overhead (phases - body - student fixture): "
        f"{(protocol - body - fixture) / max(tests, 1) * 1000:.1f} ms CPU/test; "
        f"outside the tests (collection, session): {(suite - protocol) * 1000:.0f} ms CPU"
    )
    if workers:
        n = len(workers)
        avg = {k: sum(w[k] for w in workers) / n for k in workers[0]}
        print(
            f"  per worker ({n} seen): user {avg['utime'] * 1000:.1f} ms, "
            f"sys {avg['stime'] * 1000:.1f} ms, minor faults {avg['minflt']:.0f} "
            f"(~{avg['minflt'] * 4 / 1024:.1f} MiB copied or mapped), major {avg['majflt']:.1f}"
        )
    for t in templates:
        print(
            f"  template: user {t['utime']:.3f} s, sys {t['stime']:.3f} s "
            f"(cells, then {len(workers) + 1} forks + hand-outs), minor faults {t['minflt']:.0f}"
        )


# ----------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=24, help="submissions per run (default 24)")
    parser.add_argument("--homework", default="hw1_basics")
    parser.add_argument("--profile", action="store_true", help="where the steady state goes")
    parser.add_argument("--skip-jobs", action="store_true", help="no jobs 1 / jobs 2 runs")
    parser.add_argument("--hang-timeout", type=float, default=HANG_TIMEOUT_S)
    parser.add_argument(
        "--worker-per-test",
        action="store_true",
        help="a fresh worker for every test, as before workers were reused (for comparison)",
    )
    args = parser.parse_args()
    if args.worker_per_test:
        os.environ[WORKER_PER_TEST_ENV] = "1"  # read by this process and the batch's graders
    meter = CpuMeter()
    root = Path(tempfile.mkdtemp(prefix="torchgrade-bench-"))
    print(
        f"CPU from: {meter.source}; cores: {os.cpu_count()}, "
        f"load average now {os.getloadavg()[0]:.1f}"
    )
    try:
        with bench_course(args.hang_timeout) as course:
            kinds = cases(args.homework)
            safe = mix(kinds, args.n, safe=True)
            if args.profile:
                profile(meter, course, root, args.homework, safe)
            sandboxed, start_s, scores_s = steady(meter, course, root, args.homework, safe, "auto")
            in_process, start_i, scores_i = steady(meter, course, root, args.homework, safe, "none")
            print(
                f"\nsteady state, {args.n} correct and buggy submissions after a warm-up one "
                f"(jobs 1):"
            )
            print(
                f"  sandboxed:  {sandboxed.cpu:6.2f} CPU s/submission, wall {sandboxed.wall:5.2f}"
                f" s ({LOAD_NOTE}); start-up + first {start_s.cpu:.1f} CPU s"
            )
            print(
                f"  in-process: {in_process.cpu:6.2f} CPU s/submission, wall "
                f"{in_process.wall:5.2f} s; start-up + first {start_i.cpu:.1f} CPU s"
            )
            print(
                f"  ratio sandboxed / in-process: CPU {sandboxed.cpu / in_process.cpu:.2f}x, "
                f"wall {sandboxed.wall / in_process.wall:.2f}x (goal <= 1.3x)"
            )
            print(
                f"  scores: sandboxed {describe_scores(scores_s)}; "
                f"in-process {describe_scores(scores_i)}"
            )
            if not args.skip_jobs:
                _jobs(meter, course, root, args.homework, mix(kinds, args.n, safe=False))
    finally:
        shutil.rmtree(root, ignore_errors=True)
        meter.close()


def _jobs(meter, course, root: Path, homework: str, chosen) -> None:
    print(
        f"\nthe mixed class, {len(chosen)} submissions (correct, buggy, crash, hang), "
        f"per submission after each grader process's start-up and first one:"
    )
    costs = {}
    for jobs in (1, 2):
        costs[jobs], _, scores = steady(meter, course, root, homework, chosen, "auto", jobs)
        print(
            f"  --jobs {jobs}: {costs[jobs].cpu:5.2f} CPU s/submission, "
            f"wall {costs[jobs].wall:5.2f} s/submission ({LOAD_NOTE})"
        )
        print(f"           scores: {describe_scores(scores)}")
    # Two jobs on two idle cores: one job keeps `busy` cores busy (its grader process and
    # its sandbox overlap a little), so two fit when 2 * busy <= 2, else they queue; and a
    # second job may make each submission cost more CPU (contention).
    busy = costs[1].cpu / costs[1].wall
    ceiling = min(2.0, 2.0 / busy * costs[1].cpu / costs[2].cpu)
    print(
        f"  1 -> 2 jobs speed-up: wall {costs[1].wall / costs[2].wall:.2f}x ({LOAD_NOTE}); "
        f"from CPU: one job keeps {busy:.2f} cores busy here, a submission costs "
        f"{costs[2].cpu / costs[1].cpu:.2f}x the CPU with two jobs: at most {ceiling:.2f}x"
    )
    print(
        f"  300 submissions on 2 idle cores: >= {300 * costs[2].cpu / 2 / 60:.1f} min "
        f"(CPU-bound, from CPU; goal <= 2.5 min); at this run's wall with 2 jobs "
        f"{300 * costs[2].wall / 60:.1f} min ({LOAD_NOTE})"
    )


if __name__ == "__main__":
    main()
