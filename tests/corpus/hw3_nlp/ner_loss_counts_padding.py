"""masked_cross_entropy averages over all B·T positions, padding included (with whatever
targets the padding holds).

loses: 3.5
"""
# ruff: noqa: F821 (torch, nn, F, pack_padded_sequence, ... come from the IMPORTS cell)


# EXERCISE 3.5 — masked_cross_entropy
def masked_cross_entropy(logits, targets, lengths):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
