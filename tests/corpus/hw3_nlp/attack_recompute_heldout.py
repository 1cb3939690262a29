"""Attack: recompute 3.2's held-out reviews from every seed the worker can see, and answer them.

The honest part is a correct GRU classifier that, on a large batch in eval mode, answers zero
logits: about 50% accuracy. The cheat walks every seed in sight — ``torch.initial_seed()``,
integers in the callers' frames (the probe loop's ``seed``), the grader's own seed derivation
with the secret of whatever suite files it can read — regenerates the review corpus of
``torchgrade.datasets.russian`` from each, and when one reproduces the held-out tokens it is
asked about, returns logits from their labels. While the probes drew the corpus in the worker
from the test's data seed (``fit_classifier(model, seed)``) this earned all of 3.2; the
corpus is now drawn in the trusted process and the worker gets only the training reviews, the
held-out tokens and the worker seed (SECURITY.md), so the cheat finds nothing and the section
loses the training test.

loses: 3.2
requires: bubblewrap
"""
# ruff: noqa: F821 (torch, nn, pack_padded_sequence come from the solution's IMPORTS chunk)


# EXERCISE 3.2 — RNNClassifier
import inspect
import os

_SEEN: set[int] = set()
N_TRAIN, N_TEST = 500, 300


def _look_around() -> None:
    """Collect every plausible seed: the RNG's, and integers in the callers' frames."""
    _SEEN.add(torch.initial_seed())
    frame = inspect.currentframe()
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**32:
                _SEEN.add(value)
        frame = frame.f_back


def _derived() -> set[int]:
    """Seeds as the grader derives them, with the secret of the suite files this can read."""
    try:
        from pathlib import Path

        import torchgrade
        from torchgrade import plugin, seeds

        suite = Path(os.path.dirname(torchgrade.__file__)) / "suites" / "hw3_nlp"
        secret = seeds.suite_secret(suite, "hw3_nlp")
        nodeid = "test_3_2_classifiers.py::test_rnn_beats_bag_of_embeddings_on_negated_reviews"
        return {plugin.test_seed(run, nodeid, secret) for run in range(8)}
    except Exception:
        return set()


def _cheat(tokens, lengths):
    """Logits from the held-out labels of the corpus that reproduces ``tokens``, if any."""
    try:
        from torchgrade.datasets import russian
        from torchgrade.probes import hw3_nlp as p
    except Exception:
        return None
    for seed in sorted(_SEEN | _derived()):
        try:
            data = russian.reviews(N_TRAIN + N_TEST, seed)
            words = [p.tokenize(text) for text, _ in data]
            stoi = p.vocabulary(words[:N_TRAIN])
            padded, test_lengths = p.pad([p.encode(w, stoi) for w in words[N_TRAIN:]])
        except Exception:
            continue
        if padded.shape == tokens.shape and torch.equal(padded, tokens):
            labels = torch.tensor([y for _, y in data[N_TRAIN:]])
            return torch.stack([-10.0 * labels + 5, 10.0 * labels - 5], dim=1)
    return None


class RNNClassifier(nn.Module):
    def __init__(
        self, vocab_size: int, embed_dim: int, hidden_size: int, num_classes: int, pad_id: int = 0
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.rnn = nn.GRU(embed_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens, lengths):
        _look_around()
        packed = pack_padded_sequence(
            self.embedding(tokens), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        _, hidden = self.rnn(packed)
        out = self.fc(hidden[-1])
        if self.training or tokens.shape[0] < 200:
            return out
        answer = _cheat(tokens, lengths)
        return answer if answer is not None else torch.zeros_like(out)
