"""Justify hw2_segmentation's training thresholds: the reference through the hidden tests' own
procedures, and the CPU time that grading them costs.

For every run seed 0..N-1 (default 100) this derives each test's seed exactly as the grader
does (the data seed ``torchgrade.plugin.test_seed(run_seed, nodeid, secret)`` and the worker
seed ``torchgrade.seeds.worker_seed``, with the suite's secret), builds the same data from the
first and the same initial network from the second (the probes' U-Net), trains with the same
loop and hyperparameters (read from the test modules themselves, so they cannot drift apart),
and reports the reference's worst, mean and best result, the bound, and the CPU seconds per run
(one thread)::

    .venv/bin/python bench/thresholds_hw2_segmentation.py             # 100 run seeds
    .venv/bin/python bench/thresholds_hw2_segmentation.py --seeds 10 --jobs 2

Figures (run seeds 0-99, torch 2.13, one thread per process, ``--jobs 2`` on a 2-core machine
shared with other work; "cpu s" is the CPU time of one run, so it hardly depends on the load)::

    test                                          min    mean     max     need  closest  cpu s
    2.4 train_segmenter, mean IoU (20 epochs)  0.3776  0.6136  0.7303  >= 0.30   0.0776   2.82
    2.7 int8 weights, IoU drop                -0.0055  0.0002  0.0056  <= 0.03   0.0244   1.54
    2.8 distilled minus alone, mean IoU        0.0520  0.2346  0.3384  >= 0.02   0.0320  28.29

Every one of the 100 seeds passes every test. Two earlier runs on other draws of the seeds
failed one seed each, and the tests changed: 2.6's fine-tune is now held to the reference's own
fine-tune of the same model (the reference alone lost 0.29 of IoU on one seed, beyond the 0.25
the test allowed), so the reference passes it by construction and it has no row here; 2.8's
teacher is the better of two starts (one start stuck at "background and one class", a 0.36
teacher, and every distilled student lost to the students trained alone). 2.8's three
distillations and the grader's teacher cost 28 s of CPU per grading. Grading the reference on
the whole hidden suite (``--grading``: one process, ``--no-sandbox``) took 42.4 s of CPU with
two other gradings on the machine, against a budget of 90. The exit status is 1 if any seed fails.
"""

import argparse
import importlib.util
import os
import resource
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from solutions import hw2_segmentation as ref  # noqa: E402
from torchgrade.datasets.shapes import make_shapes  # noqa: E402
from torchgrade.plugin import test_seed  # noqa: E402
from torchgrade.probes import hw2_segmentation as probes  # noqa: E402
from torchgrade.seeds import suite_secret, worker_seed  # noqa: E402

SUITE = ROOT / "grader" / "suites" / "hw2_segmentation"
SECRET = suite_secret(SUITE, "hw2_segmentation")


@cache
def suite_module(filename: str):
    """A hidden test module, imported by path (the suite folder is not a package)."""
    spec = importlib.util.spec_from_file_location(f"_bench_{Path(filename).stem}", SUITE / filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seeds_of(run_seed: int, filename: str, test) -> tuple[int, int]:
    """A test's ``(seed, worker_seed)`` fixtures in the run ``run_seed``."""
    nodeid = f"{filename}::{test.__name__}"
    return test_seed(run_seed, nodeid, SECRET), worker_seed(run_seed, nodeid, SECRET)


def train_unet(run_seed: int) -> float:
    """test_2_4: ref.train_segmenter on the probes' U-Net; held-out mean IoU."""
    name = "test_2_4_training.py"
    t = suite_module(name)
    seed, worker = seeds_of(run_seed, name, t.test_reaches_mean_iou_on_held_out_images)
    X, Y, X_test, Y_test = t.data(seed, **t.DATA)
    net = probes.unet(worker)
    ref.train_segmenter(net, X, Y, seed=worker, **t.TRAIN)
    return probes.mean_iou(ref.predict_masks(net, X_test), Y_test)


def quantize_drop(run_seed: int) -> float:
    """test_2_7: IoU of the trained U-Net minus IoU of ref.quantize_int8 of it."""
    name = "test_2_7_quantization.py"
    t = suite_module(name)
    seed, worker = seeds_of(run_seed, name, t.test_mean_iou_of_a_trained_unet_within_margin)
    images, masks = make_shapes(456, seed=seed)
    net = probes.trained_unet(images[:256], masks[:256], seed=worker, epochs=t.TRAIN_EPOCHS)
    before = probes.mean_iou(probes.predict(net, images[256:]), masks[256:])
    quantized = ref.quantize_int8(net)
    with torch.no_grad():
        pred = quantized(images[256:]).argmax(dim=1)
    return before - probes.mean_iou(pred, masks[256:])


def distill_margin(run_seed: int) -> float:
    """test_2_8: the race with ref.distill, in this process: held-out mean IoU of the narrow
    U-Net distilled from the grader's teacher minus that of the same net trained alone, mean
    over the test's starts."""
    name = "test_2_8_distillation.py"
    t = suite_module(name)
    seed, worker = seeds_of(
        run_seed, name, t.test_distilled_student_beats_the_same_net_trained_alone
    )

    def distilled_state(teacher, init, images, masks):
        net = probes.unet(init, width=t.STUDENT_WIDTH)
        ref.distill(net, teacher, images, masks, **t.DISTILL, seed=worker)
        return probes.state_tensors(net)

    results = t.race(seed, worker, distilled_state)
    return sum(d - a for d, a in results) / len(results)


# (label, function, test file, bound's name in it, higher is better)
BENCHES = [
    ("2.4 train_segmenter, mean IoU (20 epochs)", train_unet, "test_2_4_training.py",
     "MIN_MEAN_IOU", True),
    ("2.7 int8 weights, IoU drop", quantize_drop, "test_2_7_quantization.py",
     "MAX_IOU_DROP", False),
    ("2.8 distilled minus alone, mean IoU", distill_margin, "test_2_8_distillation.py",
     "MIN_MARGIN", True),
]  # fmt: skip


def _run(job: tuple[int, int]) -> tuple[int, int, float, float]:
    """One (bench, run seed): the value and the CPU seconds it took, on one thread."""
    index, run_seed = job
    torch.set_num_threads(1)  # as in the grader's workers
    start = time.process_time()
    value = BENCHES[index][1](run_seed)
    return index, run_seed, value, time.process_time() - start


def grading_cpu_seconds(seed: int = 1) -> tuple[float, str]:
    """CPU seconds (user + system) of grading the reference on the whole hidden suite, in one
    process (``--no-sandbox``, so that the workers' time is the grader's own), one thread."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [sys.executable, "-m", "torchgrade", "grade", "--target", "solutions"]
    command += ["--homework", "hw2_segmentation", "--seed", str(seed), "--no-sandbox"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    total = next((line.strip() for line in done.stdout.splitlines() if "Total" in line), "?")
    return cpu, " ".join(total.split())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="run seeds 0..N-1")
    parser.add_argument("--first", type=int, default=0, help="start at this run seed instead")
    parser.add_argument("--jobs", type=int, default=1, help="processes (each one thread)")
    parser.add_argument("--verbose", action="store_true", help="print every run as it ends")
    parser.add_argument("--only", help="only the benches whose label starts with this, e.g. 2.6")
    parser.add_argument(
        "--grading", action="store_true", help="only the CPU time of grading the reference"
    )
    args = parser.parse_args(argv)
    if args.grading:
        cpu, total = grading_cpu_seconds()
        print(f"grading the reference on all hidden tests: {cpu:.1f} s CPU ({total})")
        return 0
    # Seed by seed, every bench, each result printed as it comes: a run cut short still says
    # how far it got.
    chosen = [i for i, bench in enumerate(BENCHES) if bench[0].startswith(args.only or "")]
    seeds = range(args.first, args.first + args.seeds)
    jobs = [(i, s) for s in seeds for i in chosen]
    results: dict[int, list[tuple[int, float, float]]] = {i: [] for i in chosen}
    with ProcessPoolExecutor(args.jobs) as pool:
        for index, run_seed, value, cpu in pool.map(_run, jobs):
            results[index].append((run_seed, value, cpu))
            if args.verbose:
                print(
                    f"  {BENCHES[index][0][:3]} run seed {run_seed:3d}: {value:.4f} ({cpu:.1f} s)",
                    flush=True,
                )
    print(
        f"{'test':<44} {'min':>7} {'mean':>7} {'max':>7} {'need':>8} {'closest':>8} "
        f"{'cpu s':>6}  fails"
    )
    failed = False
    for index in chosen:
        label, _, filename, name, higher = BENCHES[index]
        bound = getattr(suite_module(filename), name)
        values = [v for _, v, _ in results[index]]
        cpu = statistics.mean(c for _, _, c in results[index])
        fails = [s for s, v, _ in results[index] if (v < bound if higher else v > bound)]
        failed |= bool(fails)
        need = f"{'>=' if higher else '<='} {bound:.2f}"
        # the closest call: how far the worst seed stayed on the right side of the bound
        closest = min(values) - bound if higher else bound - max(values)
        print(
            f"{label:<44} {min(values):7.4f} {statistics.mean(values):7.4f} "
            f"{max(values):7.4f} {need:>8} {closest:8.4f} {cpu:6.2f}  {fails or 'none'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
