"""Probes for hw3_nlp: trusted data pipelines, training loops and a translator, run in the worker.

A test of one section must not depend on another section's exercises, so the probes bring
their own tokenizer, vocabulary, padding, loss, greedy decoding and entity F1 (short, plain
versions of 3.1, 3.4 and 3.5), build the corpora of ``torchgrade.datasets.russian`` from the test's
seed, and train the student's *model* with them: a wrong metric or loss then costs only its
own section. :class:`ProbeTranslator` is a small, fixed encoder-decoder with the ``Seq2Seq``
interface whose translations end at different lengths, for ``greedy_decode``. Like every probe
they are not secret and decide nothing: the tests judge whatever comes back, in the trusted
process. The bench (``bench/thresholds_hw3_nlp.py``) runs the same loops on the reference.
"""

import math
from collections import Counter

import torch
from torch import nn
from torch.nn import functional as F

from torchgrade.datasets import russian

SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")
PAD, UNK, BOS, EOS = 0, 1, 2, 3


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


def review_data(seed: int, n_train: int, n_test: int) -> dict:
    """Token ids of train and test reviews (vocabulary of the train set), labels, negation."""
    data = russian.reviews(n_train + n_test, seed)
    tokens = [tokenize(text) for text, _ in data]
    stoi = vocabulary(tokens[:n_train])
    ids = [encode(t, stoi) for t in tokens]
    return {
        "vocab_size": len(stoi),
        "train": (ids[:n_train], [y for _, y in data[:n_train]]),
        "test": (ids[n_train:], [y for _, y in data[n_train:]]),
        "negated": ["не" in t for t in tokens[n_train:]],
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
    torch.manual_seed(seed)
    return BagModel(vocab_size)


def review_vocab_size(seed: int, n_train: int, n_test: int) -> int:
    return review_data(seed, n_train, n_test)["vocab_size"]


def fit_classifier(
    model: nn.Module,
    seed: int,
    *,
    n_train: int,
    n_test: int,
    epochs: int,
    lr: float,
    batch_size: int,
) -> dict:
    """Train ``model(tokens, lengths) -> (B, 2)`` on reviews; accuracy on the held-out ones.

    Returns:
        ``{"losses": mean loss per epoch, "accuracy": on all test reviews,
        "negated_accuracy": on the test reviews with "не"}``.
    """
    data = review_data(seed, n_train, n_test)
    ids, labels = data["train"]
    labels = torch.tensor(labels)

    def step(index: torch.Tensor) -> torch.Tensor:
        tokens, lengths = pad([ids[i] for i in index.tolist()])
        return F.cross_entropy(model(tokens, lengths), labels[index])

    losses = _adam_loop(
        model, len(ids), step, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed
    )
    test_ids, test_labels = data["test"]
    with torch.no_grad():
        predicted = model(*pad(test_ids)).argmax(dim=1)
    right = predicted == torch.tensor(test_labels)
    negated = torch.tensor(data["negated"])
    return {
        "losses": losses,
        "accuracy": right.float().mean().item(),
        "negated_accuracy": right[negated].float().mean().item(),
    }


# --- 3.3 translation -----------------------------------------------------------------------


def translation_data(seed: int, n_train: int, n_test: int) -> dict:
    """Source ids, target ids with ``<bos>``/``<eos>``, and the test references as tokens."""
    pairs = russian.translation_pairs(n_train + n_test, seed)
    src = [ru.split() for ru, _ in pairs]
    tgt = [en.split() for _, en in pairs]
    src_stoi, tgt_stoi = vocabulary(src[:n_train]), vocabulary(tgt[:n_train])
    return {
        "src_vocab_size": len(src_stoi),
        "tgt_vocab_size": len(tgt_stoi),
        "src": [encode(s, src_stoi) for s in src],
        "tgt": [[BOS, *encode(t, tgt_stoi), EOS] for t in tgt],
        "tgt_itos": list(tgt_stoi),
        "references": tgt[n_train:],
    }


def translation_vocab_sizes(seed: int, n_train: int, n_test: int) -> tuple[int, int]:
    data = translation_data(seed, n_train, n_test)
    return data["src_vocab_size"], data["tgt_vocab_size"]


def greedy(
    model: nn.Module, src: torch.Tensor, lengths: torch.Tensor, max_len: int
) -> list[list[int]]:
    """Greedy decoding through ``model.encode`` and ``model.decode_step`` (ids, no specials)."""
    with torch.no_grad():
        outputs, mask, hidden = model.encode(src, lengths)
        inputs = torch.full((src.shape[0],), BOS, dtype=torch.long)
        steps = []
        for _ in range(max_len):
            logits, hidden, _ = model.decode_step(inputs, hidden, outputs, mask)
            inputs = logits.argmax(dim=1)
            steps.append(inputs)
    result = []
    for row in torch.stack(steps, dim=1).tolist():
        result.append(row[: row.index(EOS)] if EOS in row else row)
    return result


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


def fit_translator(
    model: nn.Module,
    seed: int,
    *,
    n_train: int,
    n_test: int,
    epochs: int,
    lr: float,
    batch_size: int,
) -> dict:
    """Train ``model(src, src_lengths, tgt_in, teacher_forcing=True)`` with a masked loss.

    Returns:
        ``{"losses": per epoch, "bleu" and "exact_match": on held-out pairs (greedy
        decoding), "examples": three (hypothesis, reference) strings}``.
    """
    data = translation_data(seed, n_train, n_test)
    src, tgt = data["src"][:n_train], data["tgt"][:n_train]

    def step(index: torch.Tensor) -> torch.Tensor:
        s, s_len = pad([src[i] for i in index.tolist()])
        t, t_len = pad([tgt[i] for i in index.tolist()])
        logits = model(s, s_len, t[:, :-1], teacher_forcing=True)
        return masked_loss(logits, t[:, 1:], t_len - 1)

    losses = _adam_loop(
        model, n_train, step, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed
    )
    itos = data["tgt_itos"]
    hyps = greedy(model, *pad(data["src"][n_train:]), max_len=16)
    words = [[itos[i] for i in h] for h in hyps]
    right = sum(w == r for w, r in zip(words, data["references"], strict=True))
    return {
        "losses": losses,
        "exact_match": right / n_test,
        "bleu": bleu(words, data["references"]),
        "examples": [
            (" ".join(w), " ".join(r))
            for w, r in zip(words[:3], data["references"][:3], strict=True)
        ],
    }


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
    sentences = russian.ner_sentences(n_train + n_test, seed)
    words = [[w.lower() for w in tokens] for tokens, _ in sentences]
    stoi = vocabulary(words[:n_train])
    tag_id = {t: i for i, t in enumerate(TAGS)}
    return {
        "vocab_size": len(stoi),
        "ids": [encode(w, stoi) for w in words],
        "tags": [[tag_id[t] for t in tags] for _, tags in sentences],
        "gold": [tags for _, tags in sentences[n_train:]],
    }


def ner_vocab_size(seed: int, n_train: int, n_test: int) -> int:
    return ner_data(seed, n_train, n_test)["vocab_size"]


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


def fit_tagger(
    model: nn.Module,
    seed: int,
    *,
    n_train: int,
    n_test: int,
    epochs: int,
    lr: float,
    batch_size: int,
) -> dict:
    """Train ``model(tokens, lengths) -> (B, T, K)``; entity F1 and tagged test sentences.

    Returns:
        ``{"losses": per epoch, "f1": entity-level F1 on held-out sentences}``.
    """
    data = ner_data(seed, n_train, n_test)
    ids, tags = data["ids"][:n_train], data["tags"][:n_train]

    def step(index: torch.Tensor) -> torch.Tensor:
        tokens, lengths = pad([ids[i] for i in index.tolist()])
        targets, _ = pad([tags[i] for i in index.tolist()])
        return masked_loss(model(tokens, lengths), targets, lengths)

    losses = _adam_loop(
        model, n_train, step, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed
    )
    tokens, lengths = pad(data["ids"][n_train:])
    with torch.no_grad():
        best = model(tokens, lengths).argmax(dim=2).tolist()
    predicted = [[TAGS[k] for k in row[:n]] for row, n in zip(best, lengths.tolist(), strict=True)]
    return {"losses": losses, "f1": entity_f1(predicted, data["gold"])}


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
