"""corpus_bleu without the brevity penalty: a translation that keeps only the words it is sure
of scores as well as a complete one.

loses: 3.4
"""
# ruff: noqa: F821 (torch, math, Counter, ... come from the IMPORTS cell)


# EXERCISE 3.4 — corpus_bleu
def corpus_bleu(hypotheses, references, max_n: int = 4) -> float:
    log_precision = 0.0
    for n in range(1, max_n + 1):
        matches = total = 0
        for hyp, ref in zip(hypotheses, references, strict=True):
            hyp_grams = Counter(tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1))
            ref_grams = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
            matches += sum((hyp_grams & ref_grams).values())
            total += max(len(hyp) - n + 1, 0)
        if matches == 0:
            return 0.0
        log_precision += math.log(matches / total) / max_n
    return math.exp(log_precision)
