"""Benchmark of the sandbox: prints figures, asserts nothing (run it, read it).

    python bench/sandbox.py [--repeat 20]

1. Worker start: a cold worker (a new Python that imports torch and warms up, what a
   process-per-test design would pay) against a worker forked from the template.
2. Grading hw1's solutions with the sandbox against the in-process ``--no-sandbox`` debug
   mode, measured in one run, interleaved: as a command (``grader grade``, what an
   instructor or a CI job runs: a fresh process each time; the target is at most 1.5x), and
   warm, inside one process that grades submission after submission (a batch).
3. Memory: the template's and one worker's resident and private memory.
"""

import argparse
import statistics
import subprocess
import sys
import time

import torch

from torchgrade.course import load_course
from torchgrade.grading import grade
from torchgrade.remote import StudentProxy
from torchgrade.sandbox.lifecycle import Sandbox
from torchgrade.sandbox.policy import hidden_paths
from torchgrade.specs import ModuleSpec
from torchgrade.submission import load_submission

COLD = "import torch, torchgrade.worker.processes as w; w.warm_up()"


def cold_start(repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", COLD], check=True)
        times.append(time.perf_counter() - start)
    return times


def template_start(repeat: int) -> tuple[list[float], dict, dict]:
    course = load_course()
    module = load_submission(course.module_path("solutions", "hw1_basics"), course).modules[
        "hw1_basics"
    ]
    with Sandbox(limits=course.limits, hide=hidden_paths(course.suites_dir, course.root)) as box:
        box.load([ModuleSpec("hw1_basics", module.cells, [])])
        times, memory = [], {}
        for _ in range(repeat):
            start = time.perf_counter()
            worker = box.spawn()
            worker.start_clock(30)
            student = StudentProxy(worker, {"hw1_basics"}, {})
            student.hw1_basics.sigmoid(torch.zeros(1))  # first answer: the worker is serving
            times.append(time.perf_counter() - start)
            memory = student.probes.memory_kib()
            worker.close()
        return times, memory, box.isolation.as_dict()


def command_ratio(repeat: int) -> tuple[float, float]:
    """Median wall time of ``grader grade`` on hw1's solutions, sandboxed and in-process."""
    path = str(load_course().module_path("solutions", "hw1_basics"))
    timings: dict[str, list[float]] = {"sandbox": [], "in-process": []}
    for _ in range(repeat):  # interleaved, so both see the same machine load
        for mode, extra in (("sandbox", []), ("in-process", ["--no-sandbox"])):
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "torchgrade", "grade", path, "--seed", "1", *extra],
                capture_output=True,
                text=True,
            )
            timings[mode].append(time.perf_counter() - start)
            assert done.returncode == 0, done.stdout + done.stderr
    return statistics.median(timings["sandbox"]), statistics.median(timings["in-process"])


def warm_ratio(repeat: int) -> tuple[float, float]:
    """Median time of one more submission in a process that has graded before (a batch)."""
    course = load_course()
    timings: dict[str, list[float]] = {"auto": [], "none": []}
    for i in range(repeat + 1):
        for mode in timings:
            start = time.perf_counter()
            report = grade(
                course=course, target="solutions", homeworks=["hw1_basics"], sandbox=mode, seed=1
            )
            assert report.score == report.max_points, report.score
            if i:  # the first round starts the zygote and warms caches
                timings[mode].append(time.perf_counter() - start)
    return statistics.median(timings["auto"]), statistics.median(timings["none"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    cold = cold_start(max(3, args.repeat // 5))
    warm, memory, isolation = template_start(args.repeat)
    print(f"isolation: {isolation['method']}, network {isolation['network']}")
    print(
        f"worker start, cold (new python + torch):  median {statistics.median(cold) * 1000:8.1f} ms"
    )
    print(
        f"worker start, forked from the template:   median {statistics.median(warm) * 1000:8.1f} ms"
        f"  (x{statistics.median(cold) / statistics.median(warm):.0f} faster)"
    )
    print(
        f"worker memory: peak RSS {memory['peak_rss'] / 1024:.0f} MiB, "
        f"private {memory['private'] / 1024:.1f} MiB (the rest is shared with the template)"
    )
    sandboxed, in_process = command_ratio(3)
    print(f"`grader grade` hw1, sandboxed:   {sandboxed:6.2f} s  (median of 3)")
    print(f"`grader grade` hw1, in-process:  {in_process:6.2f} s  (--no-sandbox, debug only)")
    print(f"ratio sandboxed / in-process:    {sandboxed / in_process:6.2f}x  (target <= 1.5x)")
    sandboxed, in_process = warm_ratio(3)
    print(
        f"one more submission in a warm process (a batch): sandboxed {sandboxed:.2f} s, "
        f"in-process {in_process:.2f} s, ratio {sandboxed / in_process:.2f}x"
    )


if __name__ == "__main__":
    main()
