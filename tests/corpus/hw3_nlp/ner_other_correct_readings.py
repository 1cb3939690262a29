"""Other correct readings of 3.5: ignore_index at the padding, entities as a list built with an
explicit state machine, F1 as 2·found / (predicted + gold).

loses: nothing
"""
# ruff: noqa: F821 (torch, nn, F, pack_padded_sequence, ... come from the IMPORTS cell)


# EXERCISE 3.5 — masked_cross_entropy
def masked_cross_entropy(logits, targets, lengths):
    targets = targets.clone()
    targets[torch.arange(targets.shape[1])[None, :] >= lengths[:, None]] = -100
    return F.cross_entropy(logits.permute(0, 2, 1), targets, ignore_index=-100)


# EXERCISE 3.5 — bio_entities
def bio_entities(tags):
    found = []
    start = kind = None
    for i, tag in enumerate(tags):
        if tag.startswith("I-") and kind == tag[2:]:
            continue
        if kind is not None:
            found.append((kind, start, i))
            start = kind = None
        if tag.startswith("B-"):
            start, kind = i, tag[2:]
    if kind is not None:
        found.append((kind, start, len(tags)))
    return found


# EXERCISE 3.5 — entity_f1
def entity_f1(predicted, gold):
    found = n_pred = n_gold = 0
    for p, g in zip(predicted, gold, strict=True):
        p, g = set(bio_entities(p)), set(bio_entities(g))
        found += len(p & g)
        n_pred += len(p)
        n_gold += len(g)
    precision = found / n_pred if n_pred else 0.0
    recall = found / n_gold if n_gold else 0.0
    f1 = 2 * found / (n_pred + n_gold) if found else 0.0
    return precision, recall, f1
