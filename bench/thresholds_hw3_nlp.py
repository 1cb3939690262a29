"""Justify hw3_nlp's training thresholds: the reference through the hidden tests' own procedures.

For every run seed 0..N-1 (default 100) this derives each training test's two seeds exactly as
the grader does (``torchgrade.plugin.test_seed`` and ``torchgrade.seeds.worker_seed`` of
``(run_seed, nodeid, secret)``, the suite's secret from ``torchgrade.seeds``), draws the
corpus from the data seed as the test does in the trusted process (the bag-of-embeddings
baseline of 3.2 is built and trained from it there too), seeds torch with the worker seed as
the grader seeds the worker, builds the reference model, trains it with the probe loop the
test sends it to (shuffled with the worker seed) and the hyperparameters read from the test
module itself (so they cannot drift apart), scores its held-out outputs with the test's own
trusted functions, and reports the worst, mean and best result, the threshold and the time
per run::

    .venv/bin/python bench/thresholds_hw3_nlp.py            # 100 run seeds
    .venv/bin/python bench/thresholds_hw3_nlp.py --seeds 10
    .venv/bin/python bench/thresholds_hw3_nlp.py --only 3.3 --first 50 --seeds 50

Figures (run seeds 0-99, this machine's CPU, one thread, torch 2.13; CPU seconds per run; one
process under ``nice -n 15`` on a shared 2-core machine, after the data seed moved out of the
worker)::

    test                                             min     mean    max     need     cpu s
    3.2 RNNClassifier accuracy                       0.9067  0.9920  1.0000  >= 0.85  0.871
    3.2 RNNClassifier, negated reviews               0.9236  0.9946  1.0000  >= 0.80  0.871
    3.2 margin over bag of embeddings (negated)      0.3377  0.4522  0.6122  >= 0.15  0.871
    3.3 Seq2Seq BLEU (greedy)                        0.9848  0.9995  1.0000  >= 0.50  2.79
    3.3 Seq2Seq exact match (no bound)               0.9600  0.9986  1.0000       -   2.79
    3.5 BiLSTMTagger entity F1                       0.9008  0.9645  0.9960  >= 0.80  0.392

Every one of the 100 seeds passes every threshold. The 3.2 time covers both models (the
grader's bag of embeddings, then the GRU). The translator's training test bounds BLEU, not exact
match: on the seeds of an earlier version of the suite, two runs of 100 ended before the model
had learnt one word of the object phrase, which cost most sentences their exact match (0.215
and 0.565) but little BLEU (0.76 and 0.91); this draw has no such run, but nothing rules them
out, and an untrained or broken translator stays near 0. The closest calls are an accuracy
0.057 above its bound and a negated accuracy 0.12 above (3.2), an F1 0.10 above (3.5) and a
BLEU 0.48 above (3.3).

The exit status is 1 if any seed fails any threshold.
"""

import argparse
import importlib.util
import statistics
import sys
import time
from functools import cache
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from solutions import hw3_nlp as ref  # noqa: E402
from torchgrade.plugin import test_seed  # noqa: E402
from torchgrade.probes import hw3_nlp as probes  # noqa: E402
from torchgrade.seeds import suite_secret, worker_seed  # noqa: E402

SUITE = ROOT / "grader" / "suites" / "hw3_nlp"
SECRET = suite_secret(SUITE, "hw3_nlp")


@cache
def suite_module(filename: str):
    """A hidden test module, imported by path (the suite folder is not a package)."""
    spec = importlib.util.spec_from_file_location(f"_bench_{Path(filename).stem}", SUITE / filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _seed(run_seed: int, filename: str, test) -> int:
    return test_seed(run_seed, f"{filename}::{test.__name__}", SECRET)


def _worker_seed(run_seed: int, filename: str, test) -> int:
    """What the grader seeds the worker's torch with for this test."""
    return worker_seed(run_seed, f"{filename}::{test.__name__}", SECRET)


def classifiers(run_seed: int) -> dict[str, float]:
    """test_3_2: the grader's bag of embeddings, then ref.RNNClassifier, as in the test."""
    filename = "test_3_2_classifiers.py"
    t = suite_module(filename)
    test = t.test_rnn_beats_bag_of_embeddings_on_negated_reviews
    seed, wseed = _seed(run_seed, filename, test), _worker_seed(run_seed, filename, test)
    data = probes.review_data(seed, **t.DATA)
    baseline = probes.fit_classifier(
        probes.bag_model(data["vocab_size"], seed), data, seed, **t.TRAIN
    )
    torch.manual_seed(wseed)  # as the grader seeds the worker
    sizes = (t.RNN_SIZES["embed_dim"], t.RNN_SIZES["hidden_size"])
    model = ref.RNNClassifier(data["vocab_size"], *sizes, 2)
    result = probes.fit_classifier(model, data, wseed, **t.TRAIN)
    return {
        "accuracy": result["accuracy"],
        "negated": result["negated_accuracy"],
        "margin": result["negated_accuracy"] - baseline["negated_accuracy"],
    }


def translator(run_seed: int) -> dict[str, float]:
    """test_3_3: ref.Seq2Seq trained by the probe loop, greedy exact match on held-out pairs."""
    filename = "test_3_3_attention_seq2seq.py"
    t = suite_module(filename)
    test = t.test_seq2seq_learns_to_translate
    seed, wseed = _seed(run_seed, filename, test), _worker_seed(run_seed, filename, test)
    data = probes.translation_data(seed, **t.DATA)
    torch.manual_seed(wseed)
    Vs, Vt = data["src_vocab_size"], data["tgt_vocab_size"]
    model = ref.Seq2Seq(Vs, Vt, t.SIZES["embed_dim"], t.SIZES["hidden_size"])
    result = probes.fit_translator(model, data, wseed, **t.TRAIN)
    return {"bleu": result["bleu"], "exact_match": result["exact_match"]}


def tagger(run_seed: int) -> dict[str, float]:
    """test_3_5: ref.BiLSTMTagger trained by the probe loop, entity F1 on held-out sentences."""
    filename = "test_3_5_ner.py"
    t = suite_module(filename)
    test = t.test_tagger_learns_entities
    seed, wseed = _seed(run_seed, filename, test), _worker_seed(run_seed, filename, test)
    data = probes.ner_data(seed, **t.DATA)
    torch.manual_seed(wseed)
    model = ref.BiLSTMTagger(data["vocab_size"], 7, t.SIZES["embed_dim"], t.SIZES["hidden_size"])
    return {"f1": probes.fit_tagger(model, data, wseed, **t.TRAIN)["f1"]}


# (label, function, key, test file, threshold name in it); every bound is a lower bound.
BENCHES = [
    (
        "3.2 RNNClassifier accuracy",
        classifiers,
        "accuracy",
        "test_3_2_classifiers.py",
        "MIN_ACCURACY",
    ),
    (
        "3.2 RNNClassifier, negated reviews",
        classifiers,
        "negated",
        "test_3_2_classifiers.py",
        "MIN_NEGATED_ACCURACY",
    ),
    (
        "3.2 margin over bag of embeddings (negated)",
        classifiers,
        "margin",
        "test_3_2_classifiers.py",
        "MIN_MARGIN_OVER_BAG",
    ),
    ("3.3 Seq2Seq BLEU (greedy)", translator, "bleu", "test_3_3_attention_seq2seq.py", "MIN_BLEU"),
    # No threshold: shown to explain why the test bounds BLEU rather than exact match.
    ("3.3 Seq2Seq exact match (no bound)", translator, "exact_match", "", None),
    ("3.5 BiLSTMTagger entity F1", tagger, "f1", "test_3_5_ner.py", "MIN_F1"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="how many run seeds")
    parser.add_argument("--first", type=int, default=0, help="start at this run seed")
    parser.add_argument("--only", choices=["3.2", "3.3", "3.5"], help="one section's benches")
    args = parser.parse_args(argv)
    benches = [b for b in BENCHES if args.only is None or b[0].startswith(args.only)]
    torch.set_num_threads(1)  # as in the grader's workers
    print(f"{'test':<46} {'min':>7} {'mean':>7} {'max':>7} {'need':>8} {'cpu s':>7}  fails")
    failed = False
    runs: dict = {}
    for bench in dict.fromkeys(b[1] for b in benches):
        start = time.process_time()  # CPU time: the figure the grader's budget counts
        runs[bench] = [bench(s) for s in range(args.first, args.first + args.seeds)]
        runs[bench, "time"] = (time.process_time() - start) / args.seeds
    for label, bench, key, filename, name in benches:
        bound = getattr(suite_module(filename), name) if name else float("-inf")
        values = [r[key] for r in runs[bench]]
        fails = [args.first + s for s, v in enumerate(values) if v < bound]
        failed |= bool(fails)
        print(
            f"{label:<46} {min(values):7.4f} {statistics.mean(values):7.4f} "
            f"{max(values):7.4f} {('>= ' + format(bound, '.2f')) if name else '-':>8} "
            f"{runs[bench, 'time']:7.3f}  "
            f"{fails or 'none'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
