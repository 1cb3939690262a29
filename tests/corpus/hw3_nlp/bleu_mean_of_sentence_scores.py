"""corpus_bleu as the mean of sentence-level BLEU scores, not the ratio of corpus-level sums.

loses: 3.4
"""
# ruff: noqa: F821 (torch, math, Counter, ... come from the IMPORTS cell)


# EXERCISE 3.4 — corpus_bleu
def corpus_bleu(hypotheses, references, max_n: int = 4) -> float:
    scores = []
    for hyp, ref in zip(hypotheses, references, strict=True):
        log_precision, zero = 0.0, False
        for n in range(1, max_n + 1):
            hyp_grams = Counter(tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1))
            ref_grams = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
            matches = sum((hyp_grams & ref_grams).values())
            if matches == 0:
                zero = True
                break
            log_precision += math.log(matches / max(len(hyp) - n + 1, 1)) / max_n
        if zero or not hyp:
            scores.append(0.0)
            continue
        bp = 1.0 if len(hyp) > len(ref) else math.exp(1 - len(ref) / len(hyp))
        scores.append(bp * math.exp(log_precision))
    return sum(scores) / len(scores)
