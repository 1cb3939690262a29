"""entity_f1 counts tokens, not entities: every non-O token whose tag matches is a hit, so a
name tagged on two of its three tokens still earns most of the score.

loses: 3.5
"""
# ruff: noqa: F821 (torch, nn, F, pack_padded_sequence, ... come from the IMPORTS cell)


# EXERCISE 3.5 — entity_f1
def entity_f1(predicted, gold):
    found = n_predicted = n_gold = 0
    for pred_tags, gold_tags in zip(predicted, gold, strict=True):
        for p, g in zip(pred_tags, gold_tags, strict=True):
            found += p == g and g != "O"
            n_predicted += p != "O"
            n_gold += g != "O"
    precision = found / n_predicted if n_predicted else 0.0
    recall = found / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
