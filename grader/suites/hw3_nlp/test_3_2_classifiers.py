"""3.2 Review classifiers: the bag of embeddings against the reference, padding and batch order,
and the GRU that learns negation, trained by the grader's own loop (``torchgrade.probes.hw3_nlp``)
on reviews drawn here: the worker never sees the data seed or a held-out label.
"""

import pytest
import torch

from torchgrade import expect
from torchgrade.probes import hw3_nlp as probes

pytestmark = pytest.mark.section("3.2")

PROBES = "torchgrade.probes.hw3_nlp"

# The training test's procedure; bench/thresholds_hw3_nlp.py runs the reference through it.
DATA = {"n_train": 500, "n_test": 300}
TRAIN = {"epochs": 12, "lr": 0.01, "batch_size": 32}
RNN_SIZES = {"embed_dim": 16, "hidden_size": 32}
MIN_ACCURACY = 0.85
MIN_NEGATED_ACCURACY = 0.80
MIN_MARGIN_OVER_BAG = 0.15  # on the negated reviews, over the grader's bag of embeddings
BAG_PARAMETERS = {"embedding.weight": "(V, E)", "fc.weight": "(C, E)", "fc.bias": "(C,)"}


def _batch(g: torch.Generator, vocab: int, lengths: list[int], garbage: bool = True):
    """Random ids, with random ids (not the pad id) at the padding positions when ``garbage``."""
    T = max(lengths)
    tokens = torch.randint(4, vocab, (len(lengths), T), generator=g)
    lengths = torch.tensor(lengths)
    if not garbage:
        tokens[torch.arange(T) >= lengths[:, None]] = 0
    return tokens, lengths


def _lengths(g: torch.Generator, n: int) -> list[int]:
    lengths = torch.randint(1, 10, (n,), generator=g).tolist()
    lengths[int(torch.randint(0, n, (1,), generator=g))] = 12  # the longest, not first
    return lengths


def _alone_vs_batch(model, tokens, lengths, what: str) -> None:
    """Each row's logits in the batch equal its logits alone, without any padding."""
    batched = expect.tensor(model(tokens, lengths), what=what, shape=(len(lengths), 2))
    for i, n in enumerate(lengths.tolist()):
        alone = model(tokens[i : i + 1, :n], lengths[i : i + 1])
        expect.close(
            batched[i],
            alone[0],
            atol=1e-5,
            rtol=1e-4,
            what=f"{what}: row {i} (length {n}) of a padded batch, compared with the same "
            "review alone",
        )


@pytest.mark.points(0.25)
@pytest.mark.public
def test_bag_of_embeddings_shapes(student, seed):
    g = torch.Generator().manual_seed(seed)
    model = student.hw3_nlp.BagOfEmbeddings(30, 8, 3)
    tokens, lengths = _batch(g, 30, [3, 5, 1, 4], garbage=False)
    what = "BagOfEmbeddings(30, 8, 3)(tokens, lengths) for tokens of shape (4, 5)"
    expect.tensor(model(tokens, lengths), what=what, shape=(4, 3))
    names = {k: tuple(v.shape) for k, v in student.probes.named_parameters(model).items()}
    assert names == {"embedding.weight": (30, 8), "fc.weight": (3, 8), "fc.bias": (3,)}, (
        f"BagOfEmbeddings(30, 8, 3) should have exactly the parameters {BAG_PARAMETERS} "
        f"(an nn.Embedding named embedding, an nn.Linear named fc), got {names}"
    )


@pytest.mark.points(0.5)
def test_bag_of_embeddings_matches_reference_with_the_same_weights(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    V, E, C = 40, 6, 2
    weights = {
        "embedding.weight": torch.randn(V, E, generator=g),
        "fc.weight": torch.randn(C, E, generator=g),
        "fc.bias": torch.randn(C, generator=g),
    }
    model = student.hw3_nlp.BagOfEmbeddings(V, E, C)
    names = set(student.probes.named_parameters(model))
    assert names == set(weights), (
        f"BagOfEmbeddings should have exactly the parameters {sorted(weights)}, got {sorted(names)}"
    )
    student.probes.set_parameters(model, weights)
    reference = ref.hw3_nlp.BagOfEmbeddings(V, E, C)
    with torch.no_grad():
        for name, value in reference.named_parameters():
            value.copy_(weights[name])
    tokens, lengths = _batch(g, V, _lengths(g, 6), garbage=False)
    with torch.no_grad():
        want = reference(tokens, lengths)
    expect.close(
        model(tokens, lengths),
        want,
        atol=1e-5,
        rtol=1e-4,
        what="BagOfEmbeddings(tokens, lengths) with given weights (the mean of the real tokens' "
        "embeddings, then fc)",
    )


@pytest.mark.points(0.5)
def test_bag_of_embeddings_padding_not_averaged(student, seed):
    g = torch.Generator().manual_seed(seed)
    model = student.hw3_nlp.BagOfEmbeddings(40, 6, 2)
    for garbage in (False, True):
        tokens, lengths = _batch(g, 40, _lengths(g, 5), garbage=garbage)
        kind = "random ids" if garbage else "pad_id 0"
        _alone_vs_batch(
            model,
            tokens,
            lengths,
            f"BagOfEmbeddings(tokens, lengths) with {kind} at the padding positions "
            "(padding must count neither in the sum nor in the length)",
        )


@pytest.mark.points(0.25)
@pytest.mark.public
def test_rnn_classifier_shapes(student, seed):
    g = torch.Generator().manual_seed(seed)
    model = student.hw3_nlp.RNNClassifier(30, 8, 12, 3)
    tokens, lengths = _batch(g, 30, [3, 5, 1, 4], garbage=False)
    what = "RNNClassifier(30, 8, 12, 3)(tokens, lengths) for tokens of shape (4, 5)"
    expect.tensor(model(tokens, lengths), what=what, shape=(4, 3))


@pytest.mark.points(0.25)
def test_rnn_sorted_batch_order_restored(student, seed):
    g = torch.Generator().manual_seed(seed)
    model = student.hw3_nlp.RNNClassifier(40, 8, 12, 2)
    # Lengths in no particular order: a model that sorts the batch must restore its order.
    tokens, lengths = _batch(g, 40, [2, 9, 4, 12, 1, 6], garbage=False)
    _alone_vs_batch(
        model,
        tokens,
        lengths,
        "RNNClassifier(tokens, lengths) on a batch with unsorted lengths [2, 9, 4, 12, 1, 6] "
        "(row i of the logits must belong to review i)",
    )


@pytest.mark.points(0.25)
def test_rnn_padding_does_not_change_the_result(student, seed):
    g = torch.Generator().manual_seed(seed)
    model = student.hw3_nlp.RNNClassifier(40, 8, 12, 2)
    tokens, lengths = _batch(g, 40, _lengths(g, 5), garbage=True)
    _alone_vs_batch(
        model,
        tokens,
        lengths,
        "RNNClassifier(tokens, lengths) with random ids at the padding positions (pack the "
        "batch: the final state must be the one after each review's last real word)",
    )


@pytest.mark.points(1)
@pytest.mark.timeout(120)
def test_rnn_beats_bag_of_embeddings_on_negated_reviews(student, seed, worker_seed):
    """The reviews come from the data seed, here: the worker gets the training reviews and the
    held-out tokens, never their labels or the seed; the grader's loop shuffles with the worker
    seed, and the held-out logits are scored here against a bag of embeddings trained here."""
    data = probes.review_data(seed, **DATA)
    vocab = data["vocab_size"]
    baseline = probes.fit_classifier(probes.bag_model(vocab, seed), data, seed, **TRAIN)
    model = student.hw3_nlp.RNNClassifier(
        vocab, RNN_SIZES["embed_dim"], RNN_SIZES["hidden_size"], 2
    )
    remote = student.import_module(PROBES)
    losses = remote.train_classifier(model, *data["train"], seed=worker_seed, **TRAIN)
    expect.losses(losses, TRAIN["epochs"], "the grader's training loop")
    logits = expect.tensor(
        remote.predict(model, *data["test"]),
        what="RNNClassifier(V, 16, 32, 2)(tokens, lengths) on the held-out reviews after training",
        shape=(DATA["n_test"], 2),
    )
    result = probes.classifier_scores(logits, data["test_labels"], data["negated"])
    what = (
        f"RNNClassifier(V, 16, 32, 2) trained by the grader's loop (Adam, lr {TRAIN['lr']}, "
        f"{TRAIN['epochs']} epochs on {DATA['n_train']} reviews)"
    )
    accuracy, negated = result["accuracy"], result["negated_accuracy"]
    assert accuracy >= MIN_ACCURACY, (
        f"{what} reached {accuracy:.1%} accuracy on {DATA['n_test']} held-out reviews; at least "
        f"{MIN_ACCURACY:.0%} expected"
    )
    assert negated >= MIN_NEGATED_ACCURACY, (
        f"{what} reached only {negated:.1%} on the held-out reviews with «не»; at least "
        f"{MIN_NEGATED_ACCURACY:.0%} expected"
    )
    margin = negated - baseline["negated_accuracy"]
    assert margin >= MIN_MARGIN_OVER_BAG, (
        f"{what} got {negated:.1%} on the negated reviews, only {margin:+.1%} over a bag of "
        f"embeddings ({baseline['negated_accuracy']:.1%}); a model that reads the words in order "
        f"should gain at least {MIN_MARGIN_OVER_BAG:.0%}"
    )
