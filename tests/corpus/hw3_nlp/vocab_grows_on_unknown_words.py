"""Vocab.encode adds every unknown word to the vocabulary instead of mapping it to <unk>: the
test set gets ids the model never trained.

loses: 3.1
"""
# ruff: noqa: F821 (torch, nn, F, re, Counter, ... come from the solution's IMPORTS cell)


# EXERCISE 3.1 — Vocab
class Vocab:
    specials = ("<pad>", "<unk>", "<bos>", "<eos>")
    pad_id, unk_id, bos_id, eos_id = 0, 1, 2, 3

    def __init__(self, sentences, min_freq: int = 1) -> None:
        counts = Counter(token for sentence in sentences for token in sentence)
        kept = [t for t, c in counts.items() if c >= min_freq and t not in self.specials]
        kept.sort(key=lambda t: (-counts[t], t))
        self.itos = [*self.specials, *kept]
        self.stoi = {token: i for i, token in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens, add_bos_eos: bool = False):
        for token in tokens:
            if token not in self.stoi:
                self.stoi[token] = len(self.itos)
                self.itos.append(token)
        ids = [self.stoi[token] for token in tokens]
        return [self.bos_id, *ids, self.eos_id] if add_bos_eos else ids

    def decode(self, ids):
        return [self.itos[int(i)] for i in ids]
