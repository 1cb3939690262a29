"""Justify sem3_init's statistical and training thresholds: the reference, and the mistakes.

For every run seed 0..N-1 (default 100) this derives each test's two seeds exactly as the
grader does (the data seed ``torchgrade.plugin.test_seed(run_seed, nodeid, secret)`` and
``torchgrade.seeds.worker_seed``, the suite's secret from ``torchgrade.seeds``; the worker
seed is what the tests hand to the submission), repeats the hidden test's procedure with
the reference solution (constants and data read from the test modules themselves, so they
cannot drift apart), and prints the worst, mean and best value against the bound. For the
initializers it also runs the classic mistakes through the same statistic, which must fail on
EVERY seed::

    .venv/bin/python bench/thresholds_sem3_init.py            # 100 run seeds
    .venv/bin/python bench/thresholds_sem3_init.py --seeds 20

Figures (run seeds 0-99, one thread, torch 2.13, the suite as of the worker-seed change; a
shared 2-core machine, so the seconds are inflated; about 4 s per run seed, three quarters of
it the deep stack):

    S3.1 |sample std / target - 1| over >= 100,000 draws, the test's shape and gain
      reference: uniform 0.0033, xavier with gain 0.0056, he fan_in 0.0060,
                 he with gain 0.0054 (worst of 100 seeds)          need < 0.03
      mistakes (best of 100 seeds, i.e. closest to passing):       need > 0.03
        uniform bound = std 0.42, xavier gain ignored 0.29, xavier variance as std 0.84,
        he fans swapped 0.29, he variance as std 0.82, he gain ignored 0.11
    S3.3 std of layer 1 / layer 50 (min .. max over 100 seeds)     bounds in the suite
      tanh  N(0,1)   0.9738..0.9756 / 0.9732..0.9751               [0.95, 1] / [0.95, 1]
      tanh  small    0.1545..0.1575 / 1.2e-40..2.1e-40             [0.14, 0.17] / <= 1e-30
      tanh  Xavier   0.6241..0.6306 / 0.0824..0.1143               [0.60, 0.66] / [0.05, 0.2]
      tanh  He       0.7175..0.7236 / 0.5466..0.5631               [0.69, 0.75] / [0.45, 0.65]
      relu  N(0,1)   9.23..9.43     / 9.7e51..7.9e52               [8, 11] / [1e45, 1e60]
      relu  small    0.0923..0.0943 / 9.7e-49..7.9e-48             [0.08, 0.11] / <= 1e-42
      relu  Xavier   0.5771..0.5893 / 6.0e-9..4.9e-8               [0.55, 0.61] / [1e-10, 1e-6]
      relu  He       0.816..0.834   / 0.203..1.66                  [0.78, 0.87] / [0.05, 10]
      tanh max |mean| / max std <= 0.014 (need <= 0.1); relu mean / std in 0.529..0.818
      (need [0.3, 2]); layer 1 against theory: off by <= 0.0147 (need < 0.03)
    S3.5 healthy MLP on 20 random labels (no two points closer than 0.2): overfits on 100 of
      100 seeds, final loss <= 0.0309 (need < 0.1), loss ratio <= 0.044 (need < 0.5); linear
      model on XOR: train accuracy 0.25..0.75 (need < 1)
    S3.6 log-uniform draws: |fraction below the middle - 0.5| <= 0.0315 (need < 0.06);
      regret of 9 random trials / 3 x 3 grid over 100 problems: 0.131..0.626 (need < 0.75)

The seeds handed to the submission (S3.3's and S3.6's ``seed=``, S3.5's probe nets, S3.1's
``torch.manual_seed``) are the tests' worker seeds; data (S3.5's points, S3.6's optima) come
from their data seeds.
Every one of the 100 seeds passes every bound, and every mistake fails on every seed.
The exit status is 1 if the reference fails a bound on any seed, or a mistake passes one.
"""

import argparse
import importlib.util
import math
import sys
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from solutions import sem3_init as ref  # noqa: E402
from torchgrade.plugin import test_seed  # noqa: E402
from torchgrade.probes import sem3_init as probes  # noqa: E402
from torchgrade.seeds import suite_secret, worker_seed  # noqa: E402

SUITE = ROOT / "grader" / "suites" / "sem3_init"
SECRET = suite_secret(SUITE, "sem3_init")


@cache
def suite_module(filename: str):
    """A hidden test module, imported by path (the suite folder is not a package)."""
    spec = importlib.util.spec_from_file_location(f"_bench_{Path(filename).stem}", SUITE / filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed_of(run_seed: int, filename: str, test: str) -> int:
    """The test's data seed (the ``seed`` fixture)."""
    return test_seed(run_seed, f"{filename}::{test}", SECRET)


def worker_seed_of(run_seed: int, filename: str, test: str) -> int:
    """The test's worker seed (the ``worker_seed`` fixture)."""
    return worker_seed(run_seed, f"{filename}::{test}", SECRET)


def seed_worker(run_seed: int, filename: str, test: str) -> None:
    """Seed torch as the grader seeds the test's worker."""
    torch.manual_seed(worker_seed_of(run_seed, filename, test))


# ----------------------------------------------------------------------------- S3.1

INIT = "test_s3_1_initializers.py"


def _std_ratio(fill: Callable[[torch.Tensor], object], shape, want: float) -> float:
    """The test's statistic: sample std of >= 100,000 fresh draws over the target std."""
    repeats = max(1, math.ceil(100_000 / math.prod(shape)))
    values = torch.stack([_filled(fill, shape) for _ in range(repeats)])
    return values.double().std().item() / want


def _filled(fill, shape) -> torch.Tensor:
    w = torch.zeros(shape)
    fill(w)
    return w


def _uniform_bound_is_std(std: float) -> Callable:
    """init_with_std_'s uniform form as the classic mistake writes it: U(-std, std)."""

    def fill(w):
        with torch.no_grad():
            return w.uniform_(-std, std)

    return fill


def init_cases(run_seed: int) -> dict[str, float]:
    """|std ratio - 1| of the reference and of each mistake, in the tests' own setting."""
    t = suite_module(INIT)
    out = {}
    # test_uniform_bound_is_sqrt3_times_std
    seed = seed_of(run_seed, INIT, "test_uniform_bound_is_sqrt3_times_std")
    seed_worker(run_seed, INIT, "test_uniform_bound_is_sqrt3_times_std")
    std = (0.05, 0.2, 1.0, 2.5)[seed % 4]
    out["ref uniform"] = _std_ratio(
        lambda w: ref.init_with_std_(w, std, "uniform"), (200, 500), std
    )
    out["MISTAKE uniform bound = std"] = _std_ratio(_uniform_bound_is_std(std), (200, 500), std)
    # test_xavier_gain_not_ignored
    seed = seed_of(run_seed, INIT, "test_xavier_gain_not_ignored")
    seed_worker(run_seed, INIT, "test_xavier_gain_not_ignored")
    shape, gain = t._shape(seed), t.GAINS[seed % len(t.GAINS)]
    fans = t._fans(shape)
    want = gain * math.sqrt(2 / (fans["fan_in"] + fans["fan_out"]))
    out["ref xavier gain"] = _std_ratio(lambda w: ref.xavier_(w, gain=gain), shape, want)
    out["MISTAKE xavier gain ignored"] = _std_ratio(lambda w: ref.xavier_(w), shape, want)
    out["MISTAKE xavier variance as std"] = _std_ratio(
        lambda w: ref.init_with_std_(w, gain**2 * 2 / (fans["fan_in"] + fans["fan_out"])),
        shape,
        want,
    )
    # test_he_uses_fan_in_not_fan_out (its first case: fan_in, normal)
    seed = seed_of(run_seed, INIT, "test_he_uses_fan_in_not_fan_out")
    seed_worker(run_seed, INIT, "test_he_uses_fan_in_not_fan_out")
    shape = t._shape(seed)
    fans = t._fans(shape)
    want = math.sqrt(2 / fans["fan_in"])
    out["ref he fan_in"] = _std_ratio(lambda w: ref.he_(w), shape, want)
    out["MISTAKE he fans swapped"] = _std_ratio(lambda w: ref.he_(w, mode="fan_out"), shape, want)
    out["MISTAKE he variance as std"] = _std_ratio(
        lambda w: ref.init_with_std_(w, 2 / fans["fan_in"]), shape, want
    )
    # test_he_gain_not_ignored
    seed = seed_of(run_seed, INIT, "test_he_gain_not_ignored")
    seed_worker(run_seed, INIT, "test_he_gain_not_ignored")
    shape, slope = t._shape(seed), t.HE_SLOPES[seed % len(t.HE_SLOPES)]
    gain = math.sqrt(2.0 / (1 + slope**2))
    want = gain / math.sqrt(t._fans(shape)["fan_in"])
    out["ref he gain"] = _std_ratio(lambda w: ref.he_(w, gain=gain), shape, want)
    out["MISTAKE he gain ignored"] = _std_ratio(lambda w: ref.he_(w), shape, want)
    out["MISTAKE he uniform bound = std"] = _std_ratio(_uniform_bound_is_std(want), shape, want)
    return {k: abs(v - 1) for k, v in out.items()}


# ----------------------------------------------------------------------------- S3.3

STACK = "test_s3_3_deep_stack.py"


def stack_values(run_seed: int) -> dict[str, float]:
    """std of layers 1 and 50 per regime, as test_tanh_stack / test_relu_stack compute them."""
    t = suite_module(STACK)
    out = {}
    for activation in ("tanh", "relu"):
        seed = worker_seed_of(run_seed, STACK, f"test_{activation}_stack")
        for init in ("normal", "small", "xavier", "he"):
            means, stds = ref.activation_statistics(init, activation, seed=seed)
            (lo1, hi1), (lo50, hi50), _ = t.EXPECTED[(activation, init)]
            key = f"{activation}/{init}"
            out[f"{key} std1"] = (stds[0].item(), lo1, hi1)
            out[f"{key} std50"] = (stds[-1].item(), lo50, hi50)
            if activation == "tanh":
                out[f"{key} max|mean|/max std"] = (
                    (means.abs().max() / stds.max()).item(),
                    0.0,
                    0.1,
                )
            else:
                ratio = means / stds
                out[f"{key} min mean/std"] = (ratio.min().item(), 0.3, math.inf)
                out[f"{key} max mean/std"] = (ratio.max().item(), -math.inf, 2.0)
    seed = worker_seed_of(run_seed, STACK, "test_first_layer_matches_theory")
    means, stds = ref.activation_statistics("he", "relu", seed=seed)
    m, s = 1 / math.sqrt(math.pi), math.sqrt(1 - 1 / math.pi)
    out["layer 1 he/relu |mean - theory|"] = (abs(means[0].item() - m), 0.0, 0.03)
    out["layer 1 he/relu |std - theory|"] = (abs(stds[0].item() - s), 0.0, 0.03)
    means, stds = ref.activation_statistics("xavier", "tanh", seed=seed)
    out["layer 1 xavier/tanh |std - 0.628|"] = (abs(stds[0].item() - 0.628), 0.0, 0.03)
    return out


# ----------------------------------------------------------------------------- S3.5, S3.6

OVERFIT = "test_s3_5_overfit.py"
SEARCH = "test_s3_6_search.py"


def overfit_values(run_seed: int) -> dict[str, tuple[float, float, float]]:
    t = suite_module(OVERFIT)
    test = "test_healthy_mlp_overfits_20_samples"
    X, y = t.random_labels(seed_of(run_seed, OVERFIT, test))
    report = ref.overfit_small_batch(probes.mlp(worker_seed_of(run_seed, OVERFIT, test)), X, y)
    out = {
        "healthy MLP verdict (1 = overfits)": (float(report["overfits"]), 1.0, 1.0),
        "healthy MLP final loss": (report["final_loss"], 0.0, 0.1),
        "healthy MLP loss[-1] / loss[0]": (report["losses"][-1] / report["losses"][0], 0.0, 0.5),
    }
    test = "test_linear_model_cannot_overfit_xor"
    X, y = t.xor(seed_of(run_seed, OVERFIT, test))
    model = probes.linear(worker_seed_of(run_seed, OVERFIT, test))
    report = ref.overfit_small_batch(model, X, y, epochs=100)
    out["linear on XOR train accuracy"] = (report["train_accuracy"], 0.0, 0.99)
    return out


def search_values(run_seed: int) -> dict[str, tuple[float, float, float]]:
    t = suite_module(SEARCH)
    seed = worker_seed_of(run_seed, SEARCH, "test_random_points_log_uniform")
    points = torch.tensor(ref.random_search_points(t.LR, t.WD, 2000, seed=seed))
    out = {}
    for axis, (low, high), name in ((0, t.LR, "lr"), (1, t.WD, "wd")):
        below = (points[:, axis] < math.sqrt(low * high)).double().mean().item()
        out[f"random {name}: |fraction below middle - 0.5|"] = (abs(below - 0.5), 0.0, 0.06)
    test = "test_random_search_tries_more_distinct_learning_rates"
    seed, worker = seed_of(run_seed, SEARCH, test), worker_seed_of(run_seed, SEARCH, test)
    grid = ref.grid_search_points(t.LR, t.WD, 9)
    g = torch.Generator().manual_seed(seed)
    regret = [0.0, 0.0]
    for trial in range(t.REGRET_TRIALS):
        center = float(torch.rand(1, generator=g)) * 4 - 4
        points = ref.random_search_points(t.LR, t.WD, 9, seed=worker * 31 + trial)
        regret[0] += min((math.log10(lr) - center) ** 2 for lr, _ in grid)
        regret[1] += min((math.log10(lr) - center) ** 2 for lr, _ in points)
    out["regret random / regret grid"] = (regret[1] / regret[0], 0.0, t.MAX_REGRET_RATIO)
    return out


# ----------------------------------------------------------------------------- main


def run(name: str, bench: Callable[[int], dict], seeds: int) -> bool:
    start = time.perf_counter()
    rows: dict[str, list] = {}
    for run_seed in range(seeds):
        for key, value in bench(run_seed).items():
            rows.setdefault(key, []).append(value)
    per_run = (time.perf_counter() - start) / seeds
    print(f"\n{name} ({per_run:.3f} s per run seed)")
    ok = True
    for key, values in rows.items():
        if isinstance(values[0], tuple):
            xs = [v[0] for v in values]
            low, high = values[0][1], values[0][2]
            fails = [s for s, x in enumerate(xs) if not low <= x <= high]
            bound = f"[{low:.3g}, {high:.3g}]"
        else:  # |ratio - 1| of an initializer: the reference within, a mistake beyond REL_TOL
            xs = values
            tol = suite_module(INIT).REL_TOL
            mistake = key.startswith("MISTAKE")
            fails = [s for s, x in enumerate(xs) if (x < tol if mistake else x >= tol)]
            bound = f"{'>' if mistake else '<'} {tol:g}"
        ok &= not fails
        print(
            f"  {key:<40} min {min(xs):<10.4g} max {max(xs):<10.4g} need {bound:<18} "
            f"fails {fails or 'none'}"
        )
    return ok


BENCHES = {
    "S3.1": ("initializers: |std / target - 1|", init_cases),
    "S3.3": ("deep stack", stack_values),
    "S3.5": ("over-fit 20 samples", overfit_values),
    "S3.6": ("random vs grid search", search_values),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="run seeds 0..N-1")
    parser.add_argument(
        "--only", default="S3.1,S3.3,S3.5,S3.6", help="comma-separated sections to bench"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # as in the grader's workers
    ok = True
    for section, (title, bench) in BENCHES.items():
        if section in args.only.split(","):
            ok &= run(f"{section} {title}", bench, args.seeds)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
