"""Other correct readings of 3.1: a hand-written tokenizer loop, Counter.most_common with an
explicit tie-break, the library's pad_sequence, and collate via zip.

loses: nothing
"""
# ruff: noqa: F821 (torch, nn, F, re, Counter, ... come from the solution's IMPORTS cell)


# EXERCISE 3.1 — tokenize
def tokenize(text: str) -> list[str]:
    tokens, word = [], ""
    text = text.lower()
    for i, ch in enumerate(text):
        joins = ch == "-" and word and not word.endswith("-") and i + 1 < len(text)
        if ch.isalnum() or ch == "_" or (joins and (text[i + 1].isalnum() or text[i + 1] == "_")):
            word += ch
            continue
        if word:
            tokens.append(word)
            word = ""
        if not ch.isspace():
            tokens.append(ch)
    if word:
        tokens.append(word)
    return tokens


# EXERCISE 3.1 — Vocab
class Vocab:
    specials = ("<pad>", "<unk>", "<bos>", "<eos>")
    pad_id, unk_id, bos_id, eos_id = 0, 1, 2, 3

    def __init__(self, sentences, min_freq: int = 1) -> None:
        counts = Counter()
        for sentence in sentences:
            counts.update(sentence)
        pairs = sorted(counts.most_common(), key=lambda p: (-p[1], p[0]))
        self.itos = list(self.specials) + [w for w, c in pairs if c >= min_freq]
        self.stoi = {}
        for i, w in enumerate(self.itos):
            self.stoi[w] = i

    def __len__(self) -> int:
        return len(self.stoi)

    def encode(self, tokens, add_bos_eos: bool = False):
        out = [self.bos_id] if add_bos_eos else []
        out += [self.stoi[t] if t in self.stoi else self.unk_id for t in tokens]
        return out + [self.eos_id] if add_bos_eos else out

    def decode(self, ids):
        return list(map(lambda i: self.itos[i], [int(i) for i in ids]))


# EXERCISE 3.1 — pad_sequences
def pad_sequences(seqs, pad_id: int = 0):
    tensors = [torch.tensor(s) for s in seqs]
    padded = nn.utils.rnn.pad_sequence(tensors, batch_first=True, padding_value=pad_id)
    return padded.long(), torch.tensor([len(s) for s in seqs])


# EXERCISE 3.1 — collate_reviews
def collate_reviews(batch, pad_id: int = 0):
    ids, labels = zip(*batch)
    tokens, lengths = pad_sequences(list(ids), pad_id=pad_id)
    return tokens, lengths, torch.tensor(labels)
