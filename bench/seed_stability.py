"""Seed stability: a submission's score must not depend on the run's seed.

Grades the reference and every corpus case (``tests/corpus/<assignment>/``) with N run seeds,
through the same sandboxed path as ``grader grade``, and lists every one whose score varies —
an unfair test (a tolerance too tight for some drawn inputs, a threshold some seeds miss)::

    .venv/bin/python bench/seed_stability.py                      # every assignment, 4 seeds
    .venv/bin/python bench/seed_stability.py --homework hw1_basics --seeds 8 --jobs 2
    .venv/bin/python bench/seed_stability.py --cases 'bce_*'

Prints one line per case (its scores per seed) and a summary; exit status 1 when any score
varies. Attack cases that need bubblewrap are skipped without it.
"""

import argparse
import fnmatch
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from helpers import replace_chunks  # noqa: E402
from test_corpus import expectation  # noqa: E402

from torchgrade.course import load_course  # noqa: E402


def _grade(job: tuple[str, str, str, int]) -> tuple[str, int, float]:
    """Grade one case with one seed in this worker process: ``(name, seed, score)``."""
    from torchgrade.grading import grade

    homework, name, text, seed = job
    course = load_course()
    with tempfile.TemporaryDirectory(prefix="stability-") as tmp:
        path = Path(tmp) / f"{homework}.py"
        path.write_text(text, encoding="utf-8")
        report = grade(path, course=course, seed=seed, homeworks=[homework])
    return name, seed, report.score


def jobs_for(homework: str, pattern: str, seeds: list[int]) -> list[tuple[str, str, str, int]]:
    reference = (ROOT / "solutions" / f"{homework}.py").read_text(encoding="utf-8")
    cases = {f"{homework}/reference": reference}
    for case in sorted((ROOT / "tests" / "corpus" / homework).glob("*.py")):
        if not fnmatch.fnmatch(case.stem, pattern):
            continue
        text = case.read_text(encoding="utf-8")
        if expectation(case).limits:  # hangs: slow by design, and scored by a timeout
            continue
        cases[f"{homework}/{case.stem}"] = replace_chunks(reference, text)
    return [(homework, name, text, seed) for name, text in cases.items() for seed in seeds]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homework", action="append", help="an assignment id (repeatable)")
    parser.add_argument("--seeds", type=int, default=4, help="run seeds 1..N (default 4)")
    parser.add_argument("--cases", default="*", help="corpus cases matching this glob")
    parser.add_argument("--jobs", type=int, default=1, help="grading processes at once")
    args = parser.parse_args()
    course = load_course()
    homeworks = args.homework or [h.id for h in course.homeworks]
    seeds = list(range(1, args.seeds + 1))
    jobs = [j for h in homeworks for j in jobs_for(h, args.cases, seeds)]
    scores: dict[str, dict[int, float]] = {}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for name, seed, score in pool.map(_grade, jobs):
            scores.setdefault(name, {})[seed] = score
            if len(scores[name]) == len(seeds):
                values = [scores[name][s] for s in seeds]
                flag = "VARIES" if len(set(values)) > 1 else "stable"
                print(f"{flag:7} {name:60} {' '.join(f'{v:g}' for v in values)}", flush=True)
    varying = [n for n, by_seed in scores.items() if len(set(by_seed.values())) > 1]
    print(f"\n{len(scores)} cases x {len(seeds)} seeds: {len(varying)} vary")
    for name in varying:
        print(f"  {name}: {scores[name]}")
    return 1 if varying else 0


if __name__ == "__main__":
    sys.exit(main())
