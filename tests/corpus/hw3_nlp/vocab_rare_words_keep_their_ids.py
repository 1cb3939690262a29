"""Vocab applies min_freq to itos only: stoi still maps the rare training words to ids of their
own, so the test set's rare words never become <unk> (and their ids point past itos).

loses: 3.1
"""
# ruff: noqa: F821 (torch, nn, F, re, Counter, ... come from the solution's IMPORTS cell)


# EXERCISE 3.1 — Vocab
class Vocab:
    specials = ("<pad>", "<unk>", "<bos>", "<eos>")
    pad_id, unk_id, bos_id, eos_id = 0, 1, 2, 3

    def __init__(self, sentences, min_freq: int = 1) -> None:
        counts = Counter(token for sentence in sentences for token in sentence)
        ordered = sorted(counts, key=lambda t: (-counts[t], t))
        self.itos = [*self.specials, *(t for t in ordered if counts[t] >= min_freq)]
        self.stoi = {token: i for i, token in enumerate([*self.specials, *ordered])}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens, add_bos_eos: bool = False):
        ids = [self.stoi.get(token, self.unk_id) for token in tokens]
        return [self.bos_id, *ids, self.eos_id] if add_bos_eos else ids

    def decode(self, ids):
        return [self.itos[int(i)] for i in ids]
