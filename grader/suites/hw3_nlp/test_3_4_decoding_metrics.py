"""3.4 Greedy decoding, exact match and BLEU.

``greedy_decode`` runs on the grader's :class:`ProbeTranslator` (a fixed model with the
``Seq2Seq`` interface, built from the worker seed in both processes): the test's expectation is the
reference's decoding of the very same model in the trusted process. BLEU is checked on values
worked out by hand and against the reference on random corpora.
"""

import math
import random

import pytest
import torch

from torchgrade import expect
from torchgrade.probes import hw3_nlp as probes

pytestmark = pytest.mark.section("3.4")

PROBES = "torchgrade.probes.hw3_nlp"
BOS, EOS = 2, 3


def _translators(student, vocab: int, seed: int, offset: float):
    """The same ProbeTranslator in the worker and here; ``seed`` is the worker seed (its
    weights are no secret, but the worker never receives the data seed)."""
    return (
        student.import_module(PROBES).ProbeTranslator(vocab, seed, offset),
        probes.ProbeTranslator(vocab, seed, offset),
    )


def _decode(student, model, src, lengths, max_len: int, what: str) -> list[list[int]]:
    got = student.hw3_nlp.greedy_decode(model, src, lengths, BOS, EOS, max_len)
    if (
        not isinstance(got, list)
        or len(got) != src.shape[0]
        or not all(
            isinstance(row, list)
            and all(isinstance(t, int) and not isinstance(t, bool) for t in row)
            for row in got
        )
    ):
        raise AssertionError(
            f"{what} should return a list of {src.shape[0]} lists of Python ints, got "
            f"{expect.kind(got)}"
        )
    return got


def _source(g: torch.Generator, vocab: int, lengths: list[int]):
    lengths = torch.tensor(lengths)
    src = torch.randint(4, vocab, (len(lengths), int(lengths.max())), generator=g)
    src[torch.arange(src.shape[1]) >= lengths[:, None]] = 0
    return src, lengths


@pytest.mark.points(0.75)
def test_greedy_decode_matches_reference(student, ref, seed, worker_seed):
    g = torch.Generator().manual_seed(seed)
    for offset, max_len in ((0.0, 12), (2.0, 9), (-1.0, 20)):
        student_model, model = _translators(student, 20, worker_seed, offset)
        src, lengths = _source(g, 20, torch.randint(1, 9, (6,), generator=g).tolist())
        what = (
            f"greedy_decode(model, src, lengths, bos_id=2, eos_id=3, max_len={max_len}) for "
            f"sources of lengths {lengths.tolist()}"
        )
        got = _decode(student, student_model, src, lengths, max_len, what)
        want = ref.hw3_nlp.greedy_decode(model, src, lengths, BOS, EOS, max_len)
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            assert a == b, (
                f"{what}: sentence {i} should decode to {b}, got {a} (feed back the argmax, stop "
                "at the first <eos>, leave <bos> and <eos> out)"
            )


@pytest.mark.points(0.25)
@pytest.mark.public
def test_greedy_decode_stops_at_eos_and_strips_it(student, seed, worker_seed):
    g = torch.Generator().manual_seed(seed)
    student_model, model = _translators(student, 15, worker_seed, 0.0)
    src, lengths = _source(g, 15, [1, 5, 3, 8])
    what = "greedy_decode(model, src, lengths, bos_id=2, eos_id=3, max_len=30)"
    got = _decode(student, student_model, src, lengths, 30, what)
    want = probes.greedy(model, src, lengths, 30)
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        assert BOS not in a and EOS not in a, (
            f"{what}: sentence {i} should not contain <bos> or <eos>"
        )
        assert a == b, (
            f"{what}: sentence {i} (source length {lengths[i]}) should decode to {b}, got {a}; "
            "each sentence stops at its own first <eos>"
        )


@pytest.mark.points(0.25)
def test_greedy_decode_respects_max_len(student, seed, worker_seed):
    g = torch.Generator().manual_seed(seed)
    student_model, model = _translators(student, 15, worker_seed, 50.0)  # <eos> comes far too late
    src, lengths = _source(g, 15, [2, 6, 4])
    what = "greedy_decode(model, src, lengths, bos_id=2, eos_id=3, max_len=5) with no <eos> in time"
    got = _decode(student, student_model, src, lengths, 5, what)
    want = probes.greedy(model, src, lengths, 5)
    assert got == want and all(len(row) == 5 for row in got), (
        f"{what} should return the first 5 tokens of every sentence: {want}, got {got}"
    )


@pytest.mark.points(0.25)
def test_exact_match(student, ref, seed):
    rng = random.Random(seed)
    refs = [[rng.choice("abc") for _ in range(rng.randint(1, 4))] for _ in range(20)]
    hyps = [r if rng.random() < 0.5 else [*r[:-1], "x"] for r in refs]
    hyps[0] = refs[0] + ["a"]  # a longer hypothesis with the reference as a prefix: no match
    for h, r in ((hyps, refs), ([["a", "b"]], [["a", "b"]]), ([["b"]], [["a"]])):
        got = student.hw3_nlp.exact_match(h, r)
        assert isinstance(got, float), (
            f"exact_match should return a Python float, got {expect.kind(got)}"
        )
        want = ref.hw3_nlp.exact_match(h, r)
        assert abs(got - want) < 1e-12, (
            f"exact_match on {len(r)} sentences should be {want:.4f}, got {got:.4f}"
        )


def _bleu(student, hyps, refs, max_n: int, what: str) -> float:
    got = student.hw3_nlp.corpus_bleu(hyps, refs, max_n=max_n)
    if not isinstance(got, float):
        raise AssertionError(f"{what} should return a Python float, got {expect.kind(got)}")
    return got


@pytest.mark.points(0.5)
@pytest.mark.public
def test_corpus_bleu_known_values(student):
    s = "the cat sees the dog".split()
    cases = [
        ("a perfect translation", [s], [s], 4, 1.0),
        ("no 4-gram in common", [["the", "dog", "sees", "the", "cat"]], [s], 4, 0.0),
        ("an empty translation", [[]], [s], 4, 0.0),
        # Clipping: "the" counts at most twice, as in the reference. p1 = 2/4.
        ("four times 'the' (unigrams)", [["the"] * 4], [["the", "cat", "the", "dog"]], 1, 0.5),
        # p1 = 4/5, p2 = 2/4 over hypothesis "the cat sees a dog"; c = r = 5.
        (
            "one word wrong (bigrams)",
            [["the", "cat", "sees", "a", "dog"]],
            [s],
            2,
            math.sqrt(0.8 * 0.5),
        ),
    ]
    for label, hyps, refs, max_n, want in cases:
        what = f"corpus_bleu on {label}, max_n={max_n}"
        got = _bleu(student, hyps, refs, max_n, what)
        assert abs(got - want) < 1e-6, f"{what} should be {want:.6f}, got {got:.6f}"


@pytest.mark.points(0.25)
def test_corpus_bleu_brevity_penalty(student):
    # Every n-gram of the hypothesis is right, but it is shorter: BP = exp(1 - 6/4).
    hyps = [["the", "cat", "sees", "the"]]
    refs = [["the", "cat", "sees", "the", "big", "dog"]]
    what = "corpus_bleu for a correct but short translation (4 of 6 words), max_n=4"
    got = _bleu(student, hyps, refs, 4, what)
    want = math.exp(1 - 6 / 4)
    assert abs(got - want) < 1e-6, (
        f"{what} should be {want:.6f}: every n-gram matches, so BLEU is the brevity penalty "
        f"exp(1 - r/c); got {got:.6f}"
    )
    longer = _bleu(student, [refs[0] + ["!"]], refs, 1, "corpus_bleu for a longer translation")
    assert abs(longer - 6 / 7) < 1e-6, (
        f"corpus_bleu (max_n=1) for a translation one token longer than its reference should be "
        f"p1 = 6/7 (no brevity penalty when c > r), got {longer:.6f}"
    )


@pytest.mark.points(0.25)
def test_corpus_bleu_is_corpus_level_not_a_mean_of_sentences(student):
    hyps = [["a", "b", "c", "d"], ["x", "y"]]
    refs = [["a", "b", "c", "d"], ["x", "z"]]
    # Corpus sums: p1 = 5/6, p2 = 3/4. The mean of the two sentence scores would differ.
    want = math.sqrt(5 / 6 * 3 / 4)
    what = "corpus_bleu on two sentences, max_n=2"
    got = _bleu(student, hyps, refs, 2, what)
    assert abs(got - want) < 1e-6, (
        f"{what} should be {want:.6f}: add the clipped matches and the n-gram counts over the "
        f"corpus, then divide (not the mean of the sentences' BLEU); got {got:.6f}"
    )


@pytest.mark.points(0.5)
def test_corpus_bleu_matches_reference_on_random_corpora(student, ref, seed):
    rng = random.Random(seed)
    for max_n in (4, 2, 3):
        refs = [[rng.choice("abcde") for _ in range(rng.randint(3, 10))] for _ in range(15)]
        hyps = []
        for r in refs:
            h = [t if rng.random() < 0.8 else rng.choice("abcdefg") for t in r]
            cut = rng.choice([0, 0, 1, 2, -1])
            hyps.append(h[: len(h) - cut] if cut >= 0 else [*h, "a", "b"])
        what = f"corpus_bleu on a random corpus of 15 sentences, max_n={max_n}"
        got = _bleu(student, hyps, refs, max_n, what)
        want = ref.hw3_nlp.corpus_bleu(hyps, refs, max_n=max_n)
        assert abs(got - want) < 1e-9, f"{what} should be {want:.6f}, got {got:.6f}"
