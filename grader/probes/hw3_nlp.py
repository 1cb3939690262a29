"""Probes for hw3_nlp: trusted data pipelines, training loops and a translator.

A test of one section must not depend on another section's exercises, so the probes bring
their own tokenizer, vocabulary, padding, loss, greedy decoding and entity F1 (short, plain
versions of 3.1, 3.4 and 3.5). The corpora of ``torchgrade.datasets.russian`` are drawn from
the test's data seed *in the trusted process* (:func:`review_data`, :func:`translation_data`,
:func:`ner_data`), which sends the worker only the training part as padded tensors: the
worker's loops (:func:`train_classifier`, :func:`train_translator`, :func:`train_tagger`)
shuffle with the worker seed and return the losses, :func:`predict` and
:func:`greedy_steps` return the model's raw outputs on the held-out inputs, and the trusted
process scores them against labels the worker never sees (:func:`classifier_scores`,
:func:`translation_scores`, :func:`tagger_f1`). :class:`ProbeTranslator` is a small, fixed
encoder-decoder with the ``Seq2Seq`` interface whose translations end at different lengths,
for ``greedy_decode``. Like every probe they are not secret and decide nothing. The bench
(``bench/thresholds_hw3_nlp.py``) runs the same procedure on the reference.
"""

import math
from collections import Counter

import torch
from torch import nn
from torch.nn import functional as F

from torchgrade.datasets import russian

SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")
PAD, UNK, BOS, EOS = 0, 1, 2, 3
MAX_TRANSLATION = 16  # greedy steps of the translation test


_CORPUS_PUNCTUATION = ",.!…"


def tokenize(text: str) -> list[str]:
    """The generated corpora's tokens: words (hyphenated ones whole), then their punctuation.

    Enough for ``torchgrade.datasets.russian``, whose texts put ",", ".", "!" and "…" at the end
    of a word only (the same tokens as the homework's tokenizer there, checked by
    tests/test_datasets.py); not a general tokenizer, which is the student's exercise.
    """
    out = []
    for word in text.lower().split():
        bare = word.rstrip(_CORPUS_PUNCTUATION)
        out += [bare] if bare else []
        out += list(word[len(bare) :])
    return out


def vocabulary(sentences: list[list[str]], min_freq: int = 1) -> dict[str, int]:
    """``{token: id}``: the specials, then the tokens seen ``min_freq`` times, by frequency."""
    counts = Counter(t for s in sentences for t in s)
    kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
    return {t: i for i, t in enumerate([*SPECIALS, *kept])}


def encode(tokens: list[str], stoi: dict[str, int]) -> list[int]:
    return [stoi.get(t, UNK) for t in tokens]


def pad(seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(s) for s in seqs])
    padded = torch.zeros(len(seqs), int(lengths.max()), dtype=torch.long)
    for i, s in enumerate(seqs):
        padded[i, : len(s)] = torch.tensor(s)
    return padded, lengths


def masked_loss(logits: torch.Tensor, targets: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    mask = torch.arange(targets.shape[1]) < lengths[:, None]
    return F.cross_entropy(logits[mask], targets[mask])


def _batches(n: int, batch_size: int, g: torch.Generator) -> list[torch.Tensor]:
    return list(torch.randperm(n, generator=g).split(batch_size))


def _adam_loop(
    model: nn.Module, n: int, step, *, epochs: int, lr: float, batch_size: int, seed: int
) -> list[float]:
    """Adam over shuffled mini-batches; ``step(index)`` returns a batch's loss. Mean per epoch."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    history = []
    model.train()
    for _ in range(epochs):
        losses = []
        for index in _batches(n, batch_size, g):
            loss = step(index)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            losses.append(loss.item())
        history.append(sum(losses) / len(losses))
    model.eval()
    return history


# --- 3.2 reviews ---------------------------------------------------------------------------


def _rows(
    padded: torch.Tensor, lengths: torch.Tensor, index: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows ``index`` of a padded batch cut to their longest: what :func:`pad` of those
    sequences alone gives (the worker gets one padded tensor, the loops batch from it)."""
    chosen = lengths[index]
    return padded[index, : int(chosen.max())], chosen


def review_data(seed: int, n_train: int, n_test: int) -> dict:
    """Reviews drawn from the data seed, in the trusted process (train vocabulary).

    Returns:
        ``{"vocab_size": V, "train": (tokens (n_train, T), lengths (n_train,), labels
        (n_train,)), "test": (tokens (n_test, T'), lengths (n_test,)), "test_labels":
        (n_test,), "negated": bool (n_test,) — the test reviews with «не»}``; only ``train``
        and the test *tokens* are ever sent to the worker.
    """
    data = russian.reviews(n_train + n_test, seed)
    tokens = [tokenize(text) for text, _ in data]
    stoi = vocabulary(tokens[:n_train])
    ids = [encode(t, stoi) for t in tokens]
    labels = torch.tensor([y for _, y in data])
    return {
        "vocab_size": len(stoi),
        "train": (*pad(ids[:n_train]), labels[:n_train]),
        "test": pad(ids[n_train:]),
        "test_labels": labels[n_train:],
        "negated": torch.tensor(["не" in t for t in tokens[n_train:]]),
    }


class BagModel(nn.Module):
    """The grader's bag-of-embeddings baseline: mean of the real tokens' embeddings, linear."""

    def __init__(self, vocab_size: int, embed_dim: int = 16) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.fc = nn.Linear(embed_dim, 2)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        mask = (torch.arange(tokens.shape[1]) < lengths[:, None]).float()
        mean = (self.embedding(tokens) * mask[:, :, None]).sum(1) / lengths[:, None]
        return self.fc(mean)


def bag_model(vocab_size: int, seed: int) -> BagModel:
    """The baseline, initialised from ``seed`` (the caller's RNG is left as it was): built and
    trained in the trusted process, so no submission can touch it."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return BagModel(vocab_size)


def train_classifier(
    model: nn.Module,
    tokens: torch.Tensor,
    lengths: torch.Tensor,
    labels: torch.Tensor,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
) -> list[float]:
    """Train ``model(tokens, lengths) -> (B, 2)`` with cross-entropy; batches shuffled from
    ``seed`` (the worker seed). Returns the mean loss per epoch; leaves the model in eval mode."""

    def step(index: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(model(*_rows(tokens, lengths, index)), labels[index])

    return _adam_loop(
        model, len(labels), step, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed
    )


def predict(model: nn.Module, *inputs: torch.Tensor) -> torch.Tensor:
    """``model(*inputs)`` in eval mode without gradients: raw outputs for the trusted side."""
    model.eval()
    with torch.no_grad():
        return model(*inputs)


def classifier_scores(
    logits: torch.Tensor, labels: torch.Tensor, negated: torch.Tensor
) -> dict[str, float]:
    """Trusted side: accuracy of ``logits`` (N, 2) on the held-out reviews, all and with «не»."""
    right = logits.argmax(dim=1) == labels
    return {
        "accuracy": right.float().mean().item(),
        "negated_accuracy": right[negated].float().mean().item(),
    }


def fit_classifier(
    model: nn.Module, data: dict, seed: int, *, epochs: int, lr: float, batch_size: int
) -> dict:
    """The training test's procedure in one process (the baseline, the bench): train on
    ``data["train"]``, score on the held-out reviews.

    Returns:
        ``{"losses": per epoch, "accuracy": ..., "negated_accuracy": ...}``.
    """
    losses = train_classifier(
        model, *data["train"], epochs=epochs, lr=lr, batch_size=batch_size, seed=seed
    )
    logits = predict(model, *data["test"])
    return {"losses": losses, **classifier_scores(logits, data["test_labels"], data["negated"])}


# --- 3.3 translation -----------------------------------------------------------------------


def translation_data(seed: int, n_train: int, n_test: int) -> dict:
    """Sentence pairs drawn from the data seed, in the trusted process.

    Returns:
        ``{"src_vocab_size", "tgt_vocab_size", "train": (src (n_train, S), src_lengths,
        tgt (n_train, T), tgt_lengths) — targets with <bos>/<eos>, "test": (src (n_test, S'),
        src_lengths), "tgt_itos": target tokens by id, "references": the held-out targets as
        tokens}``; only ``train`` and the test *sources* are ever sent to the worker.
    """
    pairs = russian.translation_pairs(n_train + n_test, seed)
    src = [ru.split() for ru, _ in pairs]
    tgt = [en.split() for _, en in pairs]
    src_stoi, tgt_stoi = vocabulary(src[:n_train]), vocabulary(tgt[:n_train])
    src_ids = [encode(s, src_stoi) for s in src]
    tgt_ids = [[BOS, *encode(t, tgt_stoi), EOS] for t in tgt[:n_train]]
    return {
        "src_vocab_size": len(src_stoi),
        "tgt_vocab_size": len(tgt_stoi),
        "train": (*pad(src_ids[:n_train]), *pad(tgt_ids)),
        "test": pad(src_ids[n_train:]),
        "tgt_itos": list(tgt_stoi),
        "references": tgt[n_train:],
    }


def greedy_steps(
    model: nn.Module, src: torch.Tensor, lengths: torch.Tensor, max_len: int
) -> torch.Tensor:
    """Greedy decoding through ``model.encode`` and ``model.decode_step``: the argmax of every
    step, ``(B, max_len)`` ids, nothing cut (:func:`cut_at_eos` does that)."""
    with torch.no_grad():
        outputs, mask, hidden = model.encode(src, lengths)
        inputs = torch.full((src.shape[0],), BOS, dtype=torch.long)
        steps = []
        for _ in range(max_len):
            logits, hidden, _ = model.decode_step(inputs, hidden, outputs, mask)
            inputs = logits.argmax(dim=1)
            steps.append(inputs)
    return torch.stack(steps, dim=1)


def cut_at_eos(steps: torch.Tensor) -> list[list[int]]:
    """Each row of :func:`greedy_steps` up to its first ``<eos>`` (excluded)."""
    return [row[: row.index(EOS)] if EOS in row else row for row in steps.tolist()]


def greedy(
    model: nn.Module, src: torch.Tensor, lengths: torch.Tensor, max_len: int
) -> list[list[int]]:
    """Greedy decoding through ``model.encode`` and ``model.decode_step`` (ids, no specials)."""
    return cut_at_eos(greedy_steps(model, src, lengths, max_len))


def bleu(hypotheses: list[list[str]], references: list[list[str]], max_n: int = 4) -> float:
    """Corpus BLEU with clipped counts and the brevity penalty, no smoothing (as in 3.4)."""
    log_precision = 0.0
    for n in range(1, max_n + 1):
        matches = total = 0
        for hyp, ref in zip(hypotheses, references, strict=True):
            h = Counter(tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1))
            r = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
            matches, total = matches + sum((h & r).values()), total + sum(h.values())
        if matches == 0:
            return 0.0
        log_precision += math.log(matches / total) / max_n
    c, r = sum(map(len, hypotheses)), sum(map(len, references))
    return (1.0 if c > r else math.exp(1 - r / c)) * math.exp(log_precision)


def train_translator(
    model: nn.Module,
    src: torch.Tensor,
    src_lengths: torch.Tensor,
    tgt: torch.Tensor,
    tgt_lengths: torch.Tensor,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
) -> list[float]:
    """Train ``model(src, src_lengths, tgt_in, teacher_forcing=True)`` with a masked loss;
    batches shuffled from ``seed`` (the worker seed). Returns the mean loss per epoch."""

    def step(index: torch.Tensor) -> torch.Tensor:
        s, s_len = _rows(src, src_lengths, index)
        t, t_len = _rows(tgt, tgt_lengths, index)
        logits = model(s, s_len, t[:, :-1], teacher_forcing=True)
        return masked_loss(logits, t[:, 1:], t_len - 1)

    return _adam_loop(
        model, len(src_lengths), step, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed
    )


def translation_scores(steps: torch.Tensor, data: dict) -> dict:
    """Trusted side: BLEU and exact match of greedy ``steps`` (n_test, max_len) against the
    held-out references (the caller has checked that every id is in the target vocabulary).

    Returns:
        ``{"bleu", "exact_match", "examples": three (hypothesis, reference) strings}``.
    """
    itos, references = data["tgt_itos"], data["references"]
    words = [[itos[i] for i in h] for h in cut_at_eos(steps)]
    right = sum(w == r for w, r in zip(words, references, strict=True))
    return {
        "exact_match": right / len(references),
        "bleu": bleu(words, references),
        "examples": [
            (" ".join(w), " ".join(r)) for w, r in zip(words[:3], references[:3], strict=True)
        ],
    }


def fit_translator(
    model: nn.Module, data: dict, seed: int, *, epochs: int, lr: float, batch_size: int
) -> dict:
    """The training test's procedure in one process (the bench).

    Returns:
        ``{"losses": per epoch, "bleu", "exact_match", "examples"}`` (greedy, 16 steps).
    """
    losses = train_translator(
        model, *data["train"], epochs=epochs, lr=lr, batch_size=batch_size, seed=seed
    )
    steps = greedy_steps(model, *data["test"], max_len=MAX_TRANSLATION)
    return {"losses": losses, **translation_scores(steps, data)}


class ProbeTranslator(nn.Module):
    """A fixed encoder-decoder with ``Seq2Seq``'s interface, for testing ``greedy_decode``.

    Its weights come from ``seed`` alone (the same in every process). The decoder state
    carries a step counter; ``<eos>`` becomes likely after about ``src_length + offset`` steps,
    so the sentences of a batch end at different steps, and every step depends on the token
    fed back, so feeding the wrong one changes the translation.
    """

    def __init__(self, vocab_size: int, seed: int, offset: float = 0.0) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.vocab_size, self.offset, hidden = vocab_size, offset, 8
        self.src_embedding = nn.Parameter(torch.randn(vocab_size, hidden, generator=g))
        self.tgt_embedding = nn.Parameter(torch.randn(vocab_size, hidden, generator=g))
        self.mix = nn.Parameter(torch.randn(hidden, hidden, generator=g) / hidden**0.5)
        self.out = nn.Parameter(torch.randn(hidden, vocab_size, generator=g) * 2)

    def encode(self, src: torch.Tensor, lengths: torch.Tensor):
        mask = torch.arange(src.shape[1]) < lengths[:, None]
        outputs = self.src_embedding[src] * mask[:, :, None]
        counter = torch.stack([torch.zeros(len(src)), lengths.float()], dim=1)
        hidden = torch.cat([counter, outputs.sum(1) / lengths[:, None]], dim=1)
        return outputs, mask, hidden

    def decode_step(self, prev: torch.Tensor, hidden: torch.Tensor, outputs, mask):
        step, length, state = hidden[:, 0] + 1, hidden[:, 1], hidden[:, 2:]
        state = torch.tanh((state + self.tgt_embedding[prev]) @ self.mix)
        scores = (outputs @ state[:, :, None]).squeeze(2).masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=1)
        logits = (state + (weights[:, :, None] * outputs).sum(1)) @ self.out
        logits[:, EOS] = 4.0 * (step - length - self.offset)
        logits[:, [PAD, BOS]] = -1e4
        return logits, torch.cat([torch.stack([step, length], 1), state], dim=1), weights


# --- 3.5 NER -------------------------------------------------------------------------------

TAGS = russian.NER_TAGS


def ner_data(seed: int, n_train: int, n_test: int) -> dict:
    """Tagged sentences drawn from the data seed, in the trusted process.

    Returns:
        ``{"vocab_size", "train": (tokens (n_train, T), lengths, tag ids (n_train, T)),
        "test": (tokens (n_test, T'), lengths), "gold": the held-out tags as strings}``;
        only ``train`` and the test *tokens* are ever sent to the worker.
    """
    sentences = russian.ner_sentences(n_train + n_test, seed)
    words = [[w.lower() for w in tokens] for tokens, _ in sentences]
    stoi = vocabulary(words[:n_train])
    tag_id = {t: i for i, t in enumerate(TAGS)}
    ids = [encode(w, stoi) for w in words]
    tags = [[tag_id[t] for t in tags] for _, tags in sentences[:n_train]]
    return {
        "vocab_size": len(stoi),
        "train": (*pad(ids[:n_train]), pad(tags)[0]),
        "test": pad(ids[n_train:]),
        "gold": [tags for _, tags in sentences[n_train:]],
    }


def _entities(tags: list[str]) -> set[tuple[str, int, int]]:
    found, current = set(), None
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, kind = tag.partition("-")
        if current and not (prefix == "I" and kind == current[0]):
            found.add((current[0], current[1], i))
            current = None
        if prefix == "B":
            current = (kind, i)
    return found


def entity_f1(predicted: list[list[str]], gold: list[list[str]]) -> float:
    found = n_pred = n_gold = 0
    for p, g in zip(predicted, gold, strict=True):
        p, g = _entities(p), _entities(g)
        found, n_pred, n_gold = found + len(p & g), n_pred + len(p), n_gold + len(g)
    return 2 * found / (n_pred + n_gold) if n_pred + n_gold else 0.0


def train_tagger(
    model: nn.Module,
    tokens: torch.Tensor,
    lengths: torch.Tensor,
    tags: torch.Tensor,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
) -> list[float]:
    """Train ``model(tokens, lengths) -> (B, T, K)`` with a masked loss; batches shuffled from
    ``seed`` (the worker seed). Returns the mean loss per epoch."""

    def step(index: torch.Tensor) -> torch.Tensor:
        batch, batch_lengths = _rows(tokens, lengths, index)
        targets = tags[index, : batch.shape[1]]
        return masked_loss(model(batch, batch_lengths), targets, batch_lengths)

    return _adam_loop(
        model, len(lengths), step, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed
    )


def tagger_f1(logits: torch.Tensor, lengths: torch.Tensor, gold: list[list[str]]) -> float:
    """Trusted side: entity F1 of the argmax tags of ``logits`` (N, T, K) against ``gold``."""
    best = logits.argmax(dim=2).tolist()
    predicted = [[TAGS[k] for k in row[:n]] for row, n in zip(best, lengths.tolist(), strict=True)]
    return entity_f1(predicted, gold)


def fit_tagger(
    model: nn.Module, data: dict, seed: int, *, epochs: int, lr: float, batch_size: int
) -> dict:
    """The training test's procedure in one process (the bench).

    Returns:
        ``{"losses": per epoch, "f1": entity-level F1 on held-out sentences}``.
    """
    losses = train_tagger(
        model, *data["train"], epochs=epochs, lr=lr, batch_size=batch_size, seed=seed
    )
    logits = predict(model, *data["test"])
    return {"losses": losses, "f1": tagger_f1(logits, data["test"][1], data["gold"])}


# --- 3.3 teacher forcing -------------------------------------------------------------------


def stepwise(
    model: nn.Module,
    src: torch.Tensor,
    lengths: torch.Tensor,
    tgt_in: torch.Tensor,
    teacher_forcing: bool,
) -> torch.Tensor:
    """What ``model.forward`` should return, step by step through the model's own
    ``encode`` and ``decode_step``: inputs ``tgt_in[:, t]``, or the previous argmax."""
    with torch.no_grad():
        outputs, mask, hidden = model.encode(src, lengths)
        inputs, steps = tgt_in[:, 0], []
        for t in range(tgt_in.shape[1]):
            logits, hidden, _ = model.decode_step(inputs, hidden, outputs, mask)
            steps.append(logits)
            if t + 1 < tgt_in.shape[1]:
                inputs = tgt_in[:, t + 1] if teacher_forcing else logits.argmax(dim=1)
        return torch.stack(steps, dim=1)
