"""3.5 NER: the BiLSTM tagger with the reference's weights, the masked loss, strict BIO entities
and entity-level F1, and a tagger trained by the grader's own loop on the Russian NER corpus.
"""

import random

import pytest
import torch

from torchgrade import expect
from torchgrade.probes import hw3_nlp as probes

pytestmark = pytest.mark.section("3.5")

PROBES = "torchgrade.probes.hw3_nlp"

# The training test's procedure; bench/thresholds_hw3_nlp.py runs the reference through it.
DATA = {"n_train": 300, "n_test": 200}
TRAIN = {"epochs": 6, "lr": 0.01, "batch_size": 32}
SIZES = {"embed_dim": 16, "hidden_size": 32}
MIN_F1 = 0.80
TYPES = ("PER", "LOC", "ORG")


def _batch(g: torch.Generator, vocab: int, lengths: list[int]):
    lengths = torch.tensor(lengths)
    tokens = torch.randint(4, vocab, (len(lengths), int(lengths.max())), generator=g)
    return tokens, lengths


@pytest.mark.points(0.25)
@pytest.mark.public
def test_tagger_shapes(student, seed):
    g = torch.Generator().manual_seed(seed)
    model = student.hw3_nlp.BiLSTMTagger(30, 7, 8, 10)
    tokens, lengths = _batch(g, 30, [4, 6, 1])
    tokens[torch.arange(6) >= lengths[:, None]] = 0
    what = "BiLSTMTagger(30, 7, 8, 10)(tokens, lengths) for tokens of shape (3, 6)"
    expect.tensor(model(tokens, lengths), what=what, shape=(3, 6, 7))


@pytest.mark.points(0.5)
def test_tagger_matches_reference_with_the_same_weights(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    V, K, E, H = 30, 7, 8, 10
    reference = ref.hw3_nlp.BiLSTMTagger(V, K, E, H)
    weights = {n: torch.randn(p.shape, generator=g) * 0.5 for n, p in reference.named_parameters()}
    with torch.no_grad():
        for name, p in reference.named_parameters():
            p.copy_(weights[name])
    model = student.hw3_nlp.BiLSTMTagger(V, K, E, H)
    shapes = {k: tuple(v.shape) for k, v in student.probes.named_parameters(model).items()}
    want_shapes = {k: tuple(v.shape) for k, v in weights.items()}
    assert shapes == want_shapes, (
        f"BiLSTMTagger({V}, {K}, {E}, {H}) should have exactly the parameters {want_shapes} "
        f"(embedding, a bidirectional lstm, fc), got {shapes}"
    )
    student.probes.set_parameters(model, weights)
    # Random ids at the padding: the rows of real tokens must not see them (packing).
    tokens, lengths = _batch(g, V, [5, 9, 2, 7, 1])
    got = expect.tensor(
        model(tokens, lengths), what="BiLSTMTagger(tokens, lengths)", shape=(5, 9, K)
    )
    with torch.no_grad():
        want = reference(tokens, lengths)
    real = torch.arange(9) < lengths[:, None]
    expect.close(
        got[real],
        want[real],
        atol=1e-5,
        rtol=1e-4,
        what="BiLSTMTagger(tokens, lengths) with given weights, at the real tokens (pack the "
        "batch, so that the backward direction starts at each sentence's last word)",
    )


def _loss_inputs(g: torch.Generator, B: int, T: int, K: int):
    logits = torch.randn(B, T, K, generator=g) * 2
    targets = torch.randint(0, K, (B, T), generator=g)
    lengths = torch.randint(1, T + 1, (B,), generator=g)
    lengths[0] = T
    return logits, targets, lengths


@pytest.mark.points(0.25)
def test_masked_cross_entropy_matches_reference(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    for B, T, K in ((4, 6, 5), (1, 3, 7), (7, 9, 2)):
        logits, targets, lengths = _loss_inputs(g, B, T, K)
        what = f"masked_cross_entropy(logits, targets, lengths) for logits ({B}, {T}, {K})"
        got = expect.scalar(
            student.hw3_nlp.masked_cross_entropy(logits, targets, lengths), what=what
        )
        want = ref.hw3_nlp.masked_cross_entropy(logits, targets, lengths)
        expect.close(got, want, what=what, atol=1e-5, rtol=1e-5)


@pytest.mark.points(0.25)
def test_masked_cross_entropy_padding_not_counted(student, seed):
    g = torch.Generator().manual_seed(seed)
    logits, targets, lengths = _loss_inputs(g, 5, 8, 4)
    lengths[1:] = torch.tensor([2, 5, 1, 3])
    result = student.probes.backward(
        student.hw3_nlp.masked_cross_entropy, logits, targets, lengths, wrt=[0]
    )
    loss = expect.scalar(result["output"], what="masked_cross_entropy(logits, targets, lengths)")
    grad = result["grads"][0]
    pad = torch.arange(8) >= lengths[:, None]
    assert grad is not None and torch.all(grad[pad] == 0), (
        "masked_cross_entropy: the padding positions should get no gradient: they are not "
        "part of the loss"
    )
    real = ~pad
    want = torch.nn.functional.cross_entropy(logits[real], targets[real])
    expect.close(
        loss,
        want,
        atol=1e-5,
        rtol=1e-5,
        what="masked_cross_entropy(logits, targets, lengths): the mean over the "
        f"{int(real.sum())} real tokens only (not over all {pad.numel()} positions)",
    )


def _entities(student, tags, what: str) -> set:
    """The entities as a set, after checking the list, its tuples and its order."""
    got = student.hw3_nlp.bio_entities(tags)
    shape = f"{what} should return a list of (type, start, end) tuples ordered by start"
    if not isinstance(got, list) or not all(
        isinstance(e, tuple)
        and len(e) == 3
        and isinstance(e[0], str)
        and all(isinstance(i, int) and not isinstance(i, bool) for i in e[1:])
        for e in got
    ):
        raise AssertionError(f"{shape}, got {expect.kind(got)}")
    assert [e[1] for e in got] == sorted(e[1] for e in got), f"{shape}, got {got}"
    return set(got)


@pytest.mark.points(0.25)
@pytest.mark.public
def test_bio_entities_known_values(student):
    for tags, want in (
        (["B-PER", "I-PER", "O", "B-LOC"], {("PER", 0, 2), ("LOC", 3, 4)}),
        (["B-ORG", "B-ORG", "I-ORG", "I-ORG"], {("ORG", 0, 1), ("ORG", 1, 4)}),
        (["O", "O"], set()),
        ([], set()),
    ):
        got = _entities(student, tags, f"bio_entities({tags})")
        assert got == want, f"bio_entities({tags}) should be {want}, got {got}"


@pytest.mark.points(0.25)
def test_bio_entities_strict_i_without_b_is_no_entity(student):
    for tags, want in (
        (["I-PER", "I-PER", "O"], set()),
        (["O", "I-LOC", "B-LOC", "I-LOC"], {("LOC", 2, 4)}),
        (["B-PER", "I-LOC", "I-PER"], {("PER", 0, 1)}),
        (["B-PER", "I-PER", "B-PER", "O", "I-ORG"], {("PER", 0, 2), ("PER", 2, 3)}),
    ):
        got = _entities(student, tags, f"bio_entities({tags})")
        assert got == want, (
            f"bio_entities({tags}) should be {want}, got {got}: strict BIO — an I-X that does "
            "not continue a B-X (or I-X) of the same type starts no entity"
        )


def _random_tags(rng: random.Random, n: int) -> list[str]:
    pool = ["O", "O", "O"] + [f"{p}-{t}" for p in "BI" for t in TYPES]
    return [rng.choice(pool) for _ in range(n)]


def _prf(student, predicted, gold, what: str) -> tuple[float, float, float]:
    got = student.hw3_nlp.entity_f1(predicted, gold)
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise AssertionError(
            f"{what} should return (precision, recall, f1), got {expect.kind(got)}"
        )
    return tuple(
        expect.number(v, what=f"{what}: {n}") for v, n in zip(got, ("P", "R", "F1"), strict=True)
    )


@pytest.mark.points(0.25)
@pytest.mark.public
def test_entity_f1_known_values(student):
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG", "O"]]
    predicted = [["B-PER", "O", "O", "B-LOC"], ["O", "B-ORG", "B-LOC"]]
    # Found: LOC (0, 3, 4) and ORG; predicted 4 entities (PER cut short, LOC, ORG, extra LOC),
    # gold 3. P = 2/4, R = 2/3, F1 = 4/7.
    what = "entity_f1 on two sentences"
    got = _prf(student, predicted, gold, what)
    for name, a, b in zip(("precision", "recall", "F1"), got, (0.5, 2 / 3, 4 / 7), strict=True):
        assert abs(a - b) < 1e-6, f"{what}: {name} should be {b:.4f}, got {a:.4f}"
    empty = _prf(student, [["O", "O"]], [["O", "O"]], "entity_f1 with no entities at all")
    assert empty == (0.0, 0.0, 0.0), (
        f"entity_f1 with no entities at all should be (0.0, 0.0, 0.0), got {empty}"
    )


@pytest.mark.points(0.25)
def test_entity_f1_per_entity_not_per_token(student):
    gold = [["B-PER", "I-PER", "I-PER", "O", "O", "O", "O", "O"]]
    predicted = [["B-PER", "I-PER", "O", "O", "O", "O", "O", "O"]]
    what = "entity_f1 when a three-token name is tagged only on its first two tokens"
    got = _prf(student, predicted, gold, what)
    assert got == (0.0, 0.0, 0.0), (
        f"{what} should be (0.0, 0.0, 0.0): the predicted entity's span differs from the gold "
        f"one, so nothing is found (per-token counting gives much more); got {got}"
    )


@pytest.mark.points(0.25)
def test_entity_f1_matches_reference_on_random_tags(student, ref, seed):
    rng = random.Random(seed)
    lengths = [rng.randint(1, 12) for _ in range(25)]
    gold = [_random_tags(rng, n) for n in lengths]
    predicted = [
        [t if rng.random() < 0.6 else rng.choice(["O", "B-PER", "I-LOC"]) for t in s] for s in gold
    ]
    what = "entity_f1 on 25 random tag sequences (stray I- tags included)"
    got = _prf(student, predicted, gold, what)
    want = ref.hw3_nlp.entity_f1(predicted, gold)
    for name, a, b in zip(("precision", "recall", "F1"), got, want, strict=True):
        assert abs(a - b) < 1e-9, f"{what}: {name} should be {b:.4f}, got {a:.4f}"


@pytest.mark.points(0.5)
@pytest.mark.timeout(120)
def test_tagger_learns_entities(student, seed, worker_seed):
    """The sentences come from the data seed, here: the worker gets the training sentences and
    the held-out tokens, never their tags or the seed; the grader's loop shuffles with the
    worker seed, and the held-out logits are scored here."""
    data = probes.ner_data(seed, **DATA)
    model = student.hw3_nlp.BiLSTMTagger(
        data["vocab_size"], 7, SIZES["embed_dim"], SIZES["hidden_size"]
    )
    remote = student.import_module(PROBES)
    losses = remote.train_tagger(model, *data["train"], seed=worker_seed, **TRAIN)
    expect.losses(losses, TRAIN["epochs"], "the grader's training loop")
    tokens, lengths = data["test"]
    logits = expect.tensor(
        remote.predict(model, tokens, lengths),
        what="BiLSTMTagger(V, 7, 16, 32)(tokens, lengths) on the held-out sentences after training",
        shape=(*tokens.shape, 7),
    )
    f1 = probes.tagger_f1(logits, lengths, data["gold"])
    assert f1 >= MIN_F1, (
        f"BiLSTMTagger(V, 7, 16, 32) trained by the grader's loop (Adam, {TRAIN['epochs']} "
        f"epochs on {DATA['n_train']} sentences) reaches an entity F1 of {f1:.3f} on "
        f"{DATA['n_test']} held-out sentences; at least {MIN_F1:.2f} expected"
    )
