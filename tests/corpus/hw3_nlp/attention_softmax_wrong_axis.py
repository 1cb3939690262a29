"""dot_attention normalizes over the batch (dim 0) instead of the source positions: the weights
of one sentence depend on the other sentences, and no row sums to 1.

loses: 3.3
"""
# ruff: noqa: F821 (torch, nn, F, pack_padded_sequence, ... come from the IMPORTS cell)


# EXERCISE 3.3 — dot_attention
def dot_attention(query, keys, mask):
    scores = torch.bmm(keys, query.unsqueeze(2)).squeeze(2)
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=0).nan_to_num(0.0)
    return torch.bmm(weights.unsqueeze(1), keys).squeeze(1), weights
