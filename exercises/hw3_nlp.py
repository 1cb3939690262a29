"""Homework 3 — NLP: text classification, a translator and NER: your exercises.

The lectures on recurrent networks and on sequence-to-sequence models with attention, applied
to three small Russian corpora that ``torchgrade.datasets.russian`` generates (nothing is
downloaded): reviews to classify as positive or negative, Russian sentences to translate into
English, and sentences whose people, places and organizations you tag.

Conventions: token ids and lengths are ``torch.long`` tensors, everything else float32;
batches are batch-first (``(B, T)``); positions at or after a sequence's length are padding,
whatever id they hold, and never influence a result. Randomness (weight initialization) comes
from torch's global generator, so ``torch.manual_seed`` makes a run reproducible.

Replace every ``# TODO`` line and the ``raise NotImplementedError`` below it with your code;
keep the names, the signatures and the marker lines (``# EXERCISE 3.1 — ...``). Every chunk
that starts with a marker line becomes one notebook cell and is graded on its own: put any
helper you write (a name starting with ``_``) inside the chunk that uses it.
"""

# IMPORTS — hw3_nlp
import math
import re
from collections import Counter
from collections.abc import Iterable

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


# EXERCISE 3.1 — tokenize
def tokenize(text: str) -> list[str]:
    """Split a text into lower-case word and punctuation tokens.

    A token is either a *word*: a maximal run of word characters (``\\w``: letters of any
    alphabet, Cyrillic included, digits, ``_``), possibly joined by single hyphens
    (``по-моему``, ``ростов-на-дону``); or *one* punctuation character (any other
    non-space character: ``,`` ``.`` ``!`` ``…`` ``—`` are tokens of their own). Spaces only
    separate. Everything is lower-cased (``str.lower``), so ``Фильм`` and ``фильм`` are one word.
    As a regular expression: ``\\w+(?:-\\w+)*|[^\\w\\s]``.

    ``str.split`` is not enough: ``"плохой!"`` must give ``["плохой", "!"]``.

    Args:
        text: any string.

    Returns:
        The tokens in order, a ``list[str]`` (empty for an empty or blank text).

    Example:
        ``tokenize("Честно говоря, фильм — не плохой!")`` →
        ``["честно", "говоря", ",", "фильм", "—", "не", "плохой", "!"]``.
    """
    # TODO(3.1): re.findall with the pattern above, on the lower-cased text.
    raise NotImplementedError("3.1: tokenize")


# EXERCISE 3.1 — Vocab
class Vocab:
    """A vocabulary: token ↔ id, built from training sentences, with four special tokens.

    Ids ``0, 1, 2, 3`` are ``<pad>`` (padding), ``<unk>`` (any unknown word), ``<bos>`` and
    ``<eos>`` (begin and end of a sequence, for the translator). Then come the tokens seen at
    least ``min_freq`` times in ``sentences``, most frequent first, ties in alphabetical order
    (Python's ``str`` order), so the same sentences always give the same ids.

    Everything else — a word of the test set never seen in training, and a training word seen
    fewer than ``min_freq`` times — is ``<unk>``: the model learns one embedding for "rare or
    new word" from the rare training words, and meets it again on new text. A vocabulary is
    fixed once built: looking a word up never adds it.

    Args:
        sentences: tokenized training sentences (an iterable of ``list[str]``; read once).
        min_freq: the least number of occurrences for a token to get its own id, ``>= 1``.

    Attributes:
        itos: ``list[str]``, the token of every id: ``itos[:4] == ["<pad>", "<unk>", "<bos>",
            "<eos>"]``.
        stoi: ``dict[str, int]``, the id of every token in ``itos`` (and nothing else).
        pad_id, unk_id, bos_id, eos_id: ``0, 1, 2, 3`` (class attributes).
    """

    specials = ("<pad>", "<unk>", "<bos>", "<eos>")
    pad_id, unk_id, bos_id, eos_id = 0, 1, 2, 3

    def __init__(self, sentences: Iterable[list[str]], min_freq: int = 1) -> None:
        # TODO(3.1): count tokens (collections.Counter), keep count >= min_freq, sort; build stoi.
        raise NotImplementedError("3.1: Vocab")

    def __len__(self) -> int:
        """The number of ids, specials included."""
        # TODO(3.1): the length of itos.
        raise NotImplementedError("3.1: Vocab")

    def encode(self, tokens: list[str], add_bos_eos: bool = False) -> list[int]:
        """The ids of ``tokens`` (``unk_id`` for a token not in ``stoi``), a ``list[int]``.

        With ``add_bos_eos`` the list starts with ``bos_id`` and ends with ``eos_id``.
        """
        # TODO(3.1): stoi.get(token, unk_id) for each token; wrap in bos/eos when asked.
        raise NotImplementedError("3.1: Vocab")

    def decode(self, ids: list[int]) -> list[str]:
        """The tokens of ``ids`` (``itos[i]`` each, specials included), a ``list[str]``."""
        # TODO(3.1): itos[i] for each id (int(i), so that tensor elements work too).
        raise NotImplementedError("3.1: Vocab")


# EXERCISE 3.1 — pad_sequences
def pad_sequences(seqs: list[list[int]], pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad sequences of ids to a batch, keeping their order, and return their lengths.

    ``padded[i, :len(seqs[i])] = seqs[i]`` and ``padded[i, len(seqs[i]):] = pad_id``, with
    ``T = max(len(s) for s in seqs)``: the batch is as long as its longest sequence, no longer.
    Row ``i`` is always ``seqs[i]``: never sort here (packing needs sorted lengths only with
    ``enforce_sorted=True``; ``pack_padded_sequence(..., enforce_sorted=False)`` sorts and
    restores the order itself).

    Args:
        seqs: ``B >= 1`` non-empty lists of ids.
        pad_id: the id that fills the positions after each sequence's end.

    Returns:
        ``(padded, lengths)``: ``padded`` a ``torch.long`` tensor ``(B, T)``, ``lengths`` a
        ``torch.long`` tensor ``(B,)`` with ``lengths[i] = len(seqs[i])``.
    """
    # TODO(3.1): a (B, T) tensor full of pad_id, then copy each sequence into its row.
    raise NotImplementedError("3.1: pad_sequences")


# EXERCISE 3.1 — collate_reviews
def collate_reviews(
    batch: list[tuple[list[int], int]], pad_id: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A ``DataLoader`` ``collate_fn`` for classification: pad the reviews, stack the labels.

    Builds on ``pad_sequences``. The order of the batch is kept: row ``i`` of ``tokens``,
    ``lengths[i]`` and ``labels[i]`` all belong to ``batch[i]``.

    Args:
        batch: ``B`` pairs ``(ids, label)``: a review's token ids (non-empty) and its class.
        pad_id: the padding id.

    Returns:
        ``(tokens, lengths, labels)``, all ``torch.long``: ``(B, T)``, ``(B,)``, ``(B,)``.
    """
    # TODO(3.1): unzip the pairs, pad_sequences the ids, torch.tensor the labels.
    raise NotImplementedError("3.1: collate_reviews")


# EXERCISE 3.2 — BagOfEmbeddings
class BagOfEmbeddings(nn.Module):
    """The baseline: the mean of a review's word embeddings, then a linear layer.

    For a review of length ``L`` with embeddings ``e_1, ..., e_L``::

        logits = W · (1/L) Σ_{t < L} e_t + b

    Only the ``L`` real tokens are averaged: padding must change nothing, neither by adding
    its embedding nor by counting in ``L`` (a review in a batch with a longer one must get the
    same logits as alone). Word order is lost: "не плохой" and "плохой, не" look the same.

    Args:
        vocab_size: the number of ids, ``len(vocab)``.
        embed_dim: the embedding size ``E``.
        num_classes: the number of classes ``C``.
        pad_id: the padding id (give the embedding ``padding_idx=pad_id`` if you like; the
            lengths decide what is padding either way).

    Attributes:
        embedding: ``nn.Embedding(vocab_size, embed_dim)``.
        fc: ``nn.Linear(embed_dim, num_classes)``.
    """

    def __init__(self, vocab_size: int, embed_dim: int, num_classes: int, pad_id: int = 0) -> None:
        super().__init__()
        # TODO(3.2): an nn.Embedding and an nn.Linear, named embedding and fc.
        raise NotImplementedError("3.2: BagOfEmbeddings")

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``tokens``: long ``(B, T)``, ``lengths``: long ``(B,)`` → logits ``(B, C)``."""
        # TODO(3.2): mask = positions < lengths; masked sum of embeddings / lengths; then fc.
        raise NotImplementedError("3.2: BagOfEmbeddings")


# EXERCISE 3.2 — RNNClassifier
class RNNClassifier(nn.Module):
    """A recurrent classifier: embeddings → GRU over the packed batch → last state → linear.

    ::

        h_t = GRU(e_t, h_{t-1}),  t = 1..L     (each review stops at its own length L)
        logits = W · h_L + b

    The GRU reads the words in order, so it can learn that ``не`` flips what follows. Feed it a
    *packed* batch (``pack_padded_sequence(emb, lengths, batch_first=True,
    enforce_sorted=False)``): then each review's final state ``h_L`` is taken after its own last
    word, not after the padding, and the final states come back in the batch's order. If you
    sort the batch yourself instead, restore the order before returning.

    Args:
        vocab_size: the number of ids.
        embed_dim: the embedding size ``E``.
        hidden_size: the GRU's state size ``H``.
        num_classes: the number of classes ``C``.
        pad_id: the padding id.

    Attributes:
        embedding: ``nn.Embedding``; rnn: ``nn.GRU(embed_dim, hidden_size, batch_first=True)``
        (an ``nn.LSTM`` is fine too); fc: ``nn.Linear(hidden_size, num_classes)``.
    """

    def __init__(
        self, vocab_size: int, embed_dim: int, hidden_size: int, num_classes: int, pad_id: int = 0
    ) -> None:
        super().__init__()
        # TODO(3.2): embedding, a batch_first nn.GRU, and the output layer fc.
        raise NotImplementedError("3.2: RNNClassifier")

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``tokens``: long ``(B, T)``, ``lengths``: long ``(B,)`` → logits ``(B, C)``."""
        # TODO(3.2): pack the embeddings (enforce_sorted=False), run the GRU, fc(final hidden).
        raise NotImplementedError("3.2: RNNClassifier")


# EXERCISE 3.3 — dot_attention
def dot_attention(
    query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Dot-product attention of one query per sequence over its keys, padding masked out.

    For each batch element ``b``, over its source positions ``s``::

        score[b, s]   = keys[b, s] · query[b]          (no scaling)
        score[b, s]   = -inf where mask[b, s] is False  (padding gets weight exactly 0)
        weights[b, :] = softmax(score[b, :])            (over the source positions s)
        context[b]    = Σ_s weights[b, s] · keys[b, s]

    The softmax runs over the source positions, so each row of ``weights`` sums to 1; over any
    other axis the weights would mix different sentences. Without the mask the padding would
    take part of the attention and its keys would leak into the context.

    Args:
        query: ``(B, H)``, e.g. the decoder's current state.
        keys: ``(B, S, H)``, e.g. the encoder's outputs (they are also the values).
        mask: bool ``(B, S)``, True on real source tokens; at least one True per row.

    Returns:
        ``(context, weights)``: ``(B, H)`` and ``(B, S)``.
    """
    # TODO(3.3): scores by bmm, masked_fill(~mask, -inf), softmax over dim 1, weighted sum of keys.
    raise NotImplementedError("3.3: dot_attention")


# EXERCISE 3.3 — Seq2Seq
class Seq2Seq(nn.Module):
    """An encoder-decoder translator with dot-product attention (Luong et al., 2015).

    Encoder: embeddings of the source → a GRU over the packed source → outputs ``o_s`` (one per
    source position, zeros at padding) and a final state ``h`` that starts the decoder.

    Decoder, one step (``decode_step``), given the previous target token ``y_{t-1}``::

        h_t                = GRUCell(embed(y_{t-1}), h_{t-1})
        context_t, a_t     = dot_attention(h_t, o, mask)        (builds on dot_attention)
        logits_t           = W · [h_t ; context_t] + b          (concatenated: 2H features)

    ``forward`` decodes a whole target for training. With ``teacher_forcing=True`` the input
    at step ``t`` is the true token ``tgt_in[:, t]`` (``tgt_in`` starts with ``<bos>``);
    with ``teacher_forcing=False`` only ``tgt_in[:, 0]`` is used and every later input is the
    decoder's own previous prediction, ``argmax logits_{t-1}`` (as at inference). Teacher
    forcing is what makes training fast: every step learns from the right prefix.

    Args:
        src_vocab_size, tgt_vocab_size: sizes of the source and target vocabularies.
        embed_dim: embedding size ``E`` (both languages).
        hidden_size: ``H``, the state size of the encoder and the decoder (equal, so that the
            decoder's state can be the attention's query over the encoder's outputs).
        pad_id: the padding id of both vocabularies.

    Attributes:
        src_embedding, tgt_embedding: ``nn.Embedding``; encoder: ``nn.GRU(E, H,
        batch_first=True)``; decoder: ``nn.GRUCell(E, H)``; out: ``nn.Linear(2 * H,
        tgt_vocab_size)``.
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        embed_dim: int,
        hidden_size: int,
        pad_id: int = 0,
    ) -> None:
        super().__init__()
        # TODO(3.3): the five layers of the Attributes list.
        raise NotImplementedError("3.3: Seq2Seq")

    def encode(
        self, src: torch.Tensor, src_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encode a padded source batch.

        Args:
            src: long ``(B, S)``; src_lengths: long ``(B,)``, each ``>= 1``.

        Returns:
            ``(outputs, mask, hidden)``: ``outputs`` ``(B, S, H)`` (zeros at padding),
            ``mask`` bool ``(B, S)`` True on real tokens, ``hidden`` ``(B, H)`` the state after
            each sentence's last real token.
        """
        # TODO(3.3): pack, encoder, pad_packed_sequence(..., total_length=S); mask from lengths.
        raise NotImplementedError("3.3: Seq2Seq")

    def decode_step(
        self,
        prev_tokens: torch.Tensor,
        hidden: torch.Tensor,
        enc_outputs: torch.Tensor,
        mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One decoder step.

        Args:
            prev_tokens: long ``(B,)``, the previous target tokens ``y_{t-1}``.
            hidden: ``(B, H)``, the decoder state ``h_{t-1}``.
            enc_outputs, mask: from ``encode``.

        Returns:
            ``(logits, hidden, weights)``: ``(B, V_tgt)``, the new state ``h_t`` ``(B, H)``
            and the attention weights ``(B, S)``.
        """
        # TODO(3.3): GRUCell on the embedded tokens, attention with the new state, out(cat).
        raise NotImplementedError("3.3: Seq2Seq")

    def forward(
        self,
        src: torch.Tensor,
        src_lengths: torch.Tensor,
        tgt_in: torch.Tensor,
        teacher_forcing: bool = True,
    ) -> torch.Tensor:
        """Decode ``T`` steps for training.

        Args:
            src, src_lengths: the padded source batch, as for ``encode``.
            tgt_in: long ``(B, T)``, the target shifted right: ``<bos> y_1 ... y_{T-1}``.
            teacher_forcing: feed ``tgt_in[:, t]`` at step ``t`` (True), or the previous step's
                argmax (False; ``tgt_in[:, 0]`` is still the first input).

        Returns:
            Logits ``(B, T, V_tgt)``: step ``t`` predicts ``y_{t+1}``.
        """
        # TODO(3.3): encode, then T decode_steps choosing each input by teacher_forcing; stack.
        raise NotImplementedError("3.3: Seq2Seq")


# EXERCISE 3.4 — greedy_decode
def greedy_decode(
    model: nn.Module,
    src: torch.Tensor,
    src_lengths: torch.Tensor,
    bos_id: int,
    eos_id: int,
    max_len: int,
) -> list[list[int]]:
    """Translate a batch greedily: at every step feed back the most likely token.

    Uses only ``model.encode(src, src_lengths) -> (outputs, mask, hidden)`` and
    ``model.decode_step(prev_tokens, hidden, outputs, mask) -> (logits, hidden, weights)``
    (the interface of ``Seq2Seq``), under ``torch.no_grad()``. The first input is ``bos_id``;
    each next input is ``argmax`` of the step's logits. A sentence is finished at its first
    ``eos_id``, or after ``max_len`` tokens; its later predictions are ignored (the batch may
    keep stepping until every sentence is finished, or until ``max_len`` steps).

    Args:
        model: an encoder-decoder with ``encode`` and ``decode_step``.
        src: long ``(B, S)``; src_lengths: long ``(B,)``.
        bos_id, eos_id: the ids of ``<bos>`` and ``<eos>``.
        max_len: the most tokens a translation may have, ``<eos>`` included.

    Returns:
        ``B`` lists of ids (Python ints), in the batch's order, each WITHOUT ``<bos>`` and
        without the ``<eos>`` (and nothing after it); at most ``max_len`` ids.
    """
    # TODO(3.4): loop max_len decode_steps from bos; stop a sentence at its first eos; strip it.
    raise NotImplementedError("3.4: greedy_decode")


# EXERCISE 3.4 — exact_match
def exact_match(hypotheses: list[list[str]], references: list[list[str]]) -> float:
    """The fraction of hypotheses identical to their reference, token for token.

    Args:
        hypotheses, references: ``N >= 1`` token lists each; ``hypotheses[i]`` translates the
            same sentence as ``references[i]``.

    Returns:
        A Python ``float`` in ``[0, 1]``.
    """
    # TODO(3.4): count list equality, divide by N.
    raise NotImplementedError("3.4: exact_match")


# EXERCISE 3.4 — corpus_bleu
def corpus_bleu(hypotheses: list[list[str]], references: list[list[str]], max_n: int = 4) -> float:
    """Corpus BLEU (Papineni et al., 2002) with one reference per sentence, no smoothing.

    For ``n = 1..max_n``, with *clipped* counts (an n-gram of a hypothesis counts at most as
    often as it occurs in that sentence's reference), summed over the whole corpus::

        p_n  = Σ_i Σ_g min(count_hyp_i(g), count_ref_i(g)) / Σ_i (number of n-grams of hyp_i)
        c    = Σ_i len(hyp_i),   r = Σ_i len(ref_i)
        BP   = 1 if c > r else exp(1 - r / c)                 (the brevity penalty)
        BLEU = BP · exp( (1/max_n) Σ_n log p_n )

    Sums first, then the ratio: BLEU is not the mean of sentence scores. Without the brevity
    penalty a system could output only the words it is sure of and score 1. Edge cases: if
    some ``p_n`` is 0 (no matching n-gram, or no n-gram of that order in any hypothesis) or
    ``c = 0``, BLEU is ``0.0``.

    Args:
        hypotheses, references: ``N >= 1`` token lists each, aligned.
        max_n: the longest n-gram order.

    Returns:
        A Python ``float`` in ``[0, 1]``.
    """
    # TODO(3.4): per order: clipped matches (Counter &) and totals over the corpus; BP · geo-mean.
    raise NotImplementedError("3.4: corpus_bleu")


# EXERCISE 3.5 — BiLSTMTagger
class BiLSTMTagger(nn.Module):
    """A sequence tagger: embeddings → bidirectional LSTM over the packed batch → linear per token.

    ::

        [→h_t ; ←h_t] = BiLSTM(e_1..e_L)_t       (forward and backward states, 2H features)
        logits_t      = W · [→h_t ; ←h_t] + b     for every position t < L

    The backward direction lets a tag depend on the words after it ("… пришло из Яндекса":
    ``из`` announces the organization). Pack the batch so that the backward direction starts
    at each sentence's last real word, not at the padding.

    Args:
        vocab_size: the number of word ids.
        num_tags: the number of tags ``K``.
        embed_dim, hidden_size: ``E`` and ``H`` (per direction).
        pad_id: the padding id.

    Attributes:
        embedding: ``nn.Embedding``; lstm: ``nn.LSTM(E, H, batch_first=True,
        bidirectional=True)``; fc: ``nn.Linear(2 * H, num_tags)``.
    """

    def __init__(
        self, vocab_size: int, num_tags: int, embed_dim: int, hidden_size: int, pad_id: int = 0
    ) -> None:
        super().__init__()
        # TODO(3.5): embedding, a bidirectional batch_first nn.LSTM, and fc over 2H features.
        raise NotImplementedError("3.5: BiLSTMTagger")

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``tokens``: long ``(B, T)``, ``lengths``: long ``(B,)`` → logits ``(B, T, K)``.

        Rows at padding positions may hold anything: the loss and the metrics ignore them.
        """
        # TODO(3.5): pack, LSTM, pad_packed_sequence(..., total_length=T), fc on every position.
        raise NotImplementedError("3.5: BiLSTMTagger")


# EXERCISE 3.5 — masked_cross_entropy
def masked_cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor, lengths: torch.Tensor
) -> torch.Tensor:
    """Mean cross-entropy over the real tokens of a padded batch; padding does not count.

    ::

        loss = Σ_{b, t < L_b} -log softmax(logits[b, t])[targets[b, t]]  /  Σ_b L_b

    Each real token weighs the same, whatever its sentence's length. Padding positions (``t >=
    lengths[b]``) hold arbitrary targets and logits and must change neither the sum nor the
    count: a loss that averages over ``B · T`` positions rewards predicting the padding.
    (``F.cross_entropy(..., ignore_index=...)`` is fine if you first put the ignore index at
    the padding positions.)

    Args:
        logits: ``(B, T, K)``; targets: long ``(B, T)``; lengths: long ``(B,)``, each ``>= 1``.

    Returns:
        A 0-dim float32 tensor, differentiable with respect to ``logits``.
    """
    # TODO(3.5): per-token F.cross_entropy(reduction="none") on (B*T, K), mask t < length, average.
    raise NotImplementedError("3.5: masked_cross_entropy")


# EXERCISE 3.5 — bio_entities
def bio_entities(tags: list[str]) -> list[tuple[str, int, int]]:
    """The entities of one tagged sentence, read with strict BIO rules.

    An entity of type ``X`` is a ``B-X`` at position ``start`` followed by zero or more
    ``I-X``; it ends before the first tag that is not ``I-X`` (``O``, a ``B-``, or an ``I-`` of
    another type). An ``I-X`` that does not continue an entity of type ``X`` (after ``O``, at
    the start, or after an entity of another type) starts no entity: it is ignored.

    Args:
        tags: one tag per token: ``"O"``, ``"B-X"`` or ``"I-X"``.

    Returns:
        A ``list`` of ``(type, start, end)`` tuples with ``end`` exclusive, ordered by ``start``:
        ``["B-PER", "I-PER", "O", "I-LOC", "B-LOC"]`` → ``[("PER", 0, 2), ("LOC", 4, 5)]``.
    """
    # TODO(3.5): scan left to right, open an entity at B-, extend it on the matching I-, else close.
    raise NotImplementedError("3.5: bio_entities")


# EXERCISE 3.5 — entity_f1
def entity_f1(predicted: list[list[str]], gold: list[list[str]]) -> tuple[float, float, float]:
    """Entity-level precision, recall and F1 over a corpus (the CoNLL evaluation).

    Builds on ``bio_entities``. An entity counts as found only if its type, start and end all
    match a gold entity of the same sentence. Over all sentences::

        P  = |found| / |predicted entities|,   R = |found| / |gold entities|
        F1 = 2 P R / (P + R)

    Entities, not tokens: tagging ``Ивана`` of ``Ивана Петрова`` and missing ``Петрова`` finds
    no entity at all, and the many ``O`` tags earn nothing. A ratio with nothing to divide
    (no predicted entity; no gold entity; ``P + R = 0``) is ``0.0``.

    Args:
        predicted, gold: aligned lists of tag sequences; ``predicted[i]`` has the length of
            ``gold[i]``.

    Returns:
        ``(precision, recall, f1)``, Python floats.
    """
    # TODO(3.5): sum the sizes of the entity-set intersections and of both sets over sentences.
    raise NotImplementedError("3.5: entity_f1")
