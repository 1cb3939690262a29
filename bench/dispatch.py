"""Benchmark of the run-time check of forbidden APIs: prints figures, asserts nothing.

    python bench/dispatch.py [--repeat 3]

Grades the reference solutions' sections that have forbidden APIs (the only ones whose tests
run with the dispatch recorder, grader/worker/dispatch.py) in one warm process, interleaved
with the recorder on and off, and prints the tests' total time (the sum of the tests'
durations: the zygote's start and loading are not in it) and that the scores are unchanged.
"""

import argparse
import statistics
import time

import torch

from torchgrade.course import load_course
from torchgrade.dispatch_log import DispatchLog
from torchgrade.grading import grade


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    course = load_course()
    watched = DispatchLog.rules_for
    for homework in course.homeworks:
        sections = [s.id for s in homework.sections if s.forbid]
        if not sections:
            continue
        path = course.root / "solutions" / f"{homework.id}.py"
        times: dict[str, list[float]] = {"on": [], "off": []}
        scores = set()
        for _ in range(args.repeat):
            for label in ("on", "off"):
                DispatchLog.rules_for = watched if label == "on" else (lambda self, section: {})
                report = grade(
                    path, course=course, seed=1, homeworks=[homework.id], sections=sections
                )
                times[label].append(sum(t.duration_s for t in report.homeworks[0].tests))
                scores.add((report.score, tuple(report.flags)))
        DispatchLog.rules_for = watched
        on, off = statistics.median(times["on"]), statistics.median(times["off"])
        print(
            f"{homework.id:<20} {' '.join(sections):<40} tests {off:6.2f} s -> {on:6.2f} s "
            f"with the recorder ({on / off:4.2f}x); scores and flags {sorted(scores)}"
        )


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"({time.perf_counter() - start:.0f} s)")
