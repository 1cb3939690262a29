"""Other correct readings of 3.4: greedy decoding one sentence at a time (a batch of one, so
each stops at its own <eos>), exact match by counting, and BLEU with a product of precisions.

loses: nothing
"""
# ruff: noqa: F821 (torch, math, Counter, ... come from the IMPORTS cell)


# EXERCISE 3.4 — greedy_decode
def greedy_decode(model, src, src_lengths, bos_id, eos_id, max_len):
    results = []
    with torch.no_grad():
        for i in range(src.shape[0]):
            n = int(src_lengths[i])
            outputs, mask, hidden = model.encode(src[i : i + 1, :n], src_lengths[i : i + 1])
            prev, sentence = torch.tensor([bos_id]), []
            while len(sentence) < max_len:
                logits, hidden, _ = model.decode_step(prev, hidden, outputs, mask)
                prev = logits.argmax(-1)
                if prev.item() == eos_id:
                    break
                sentence.append(int(prev.item()))
            results.append(sentence)
    return results


# EXERCISE 3.4 — exact_match
def exact_match(hypotheses, references) -> float:
    right = 0
    for h, r in zip(hypotheses, references, strict=True):
        right += int(len(h) == len(r) and all(a == b for a, b in zip(h, r, strict=True)))
    return float(right) / float(len(references))


# EXERCISE 3.4 — corpus_bleu
def corpus_bleu(hypotheses, references, max_n: int = 4) -> float:
    c = sum(map(len, hypotheses))
    r = sum(map(len, references))
    if c == 0:
        return 0.0
    product = 1.0
    for n in range(1, max_n + 1):
        clipped = count = 0
        for hyp, ref in zip(hypotheses, references, strict=True):
            grams = Counter(zip(*(hyp[k:] for k in range(n))))
            ref_grams = Counter(zip(*(ref[k:] for k in range(n))))
            clipped += sum(min(k, ref_grams[g]) for g, k in grams.items())
            count += sum(grams.values())
        if clipped == 0:
            return 0.0
        product *= clipped / count
    penalty = math.exp(min(0.0, 1 - r / c))
    return penalty * product ** (1 / max_n)
