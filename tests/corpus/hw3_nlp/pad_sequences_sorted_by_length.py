"""pad_sequences sorts the batch by decreasing length (as enforce_sorted=True packing wants)
and never restores the order: rows no longer match their labels.

loses: 3.1
"""
# ruff: noqa: F821 (torch, nn, F, re, Counter, ... come from the solution's IMPORTS cell)


# EXERCISE 3.1 — pad_sequences
def pad_sequences(seqs, pad_id: int = 0):
    seqs = sorted(seqs, key=len, reverse=True)
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    padded = torch.full((len(seqs), int(lengths.max())), pad_id, dtype=torch.long)
    for i, seq in enumerate(seqs):
        padded[i, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
    return padded, lengths
