"""corpus_bleu counts every n-gram of the hypothesis found in the reference, however often it
repeats: "the the the the" gets unigram precision 1.

loses: 3.4
"""
# ruff: noqa: F821 (torch, math, Counter, ... come from the IMPORTS cell)


# EXERCISE 3.4 — corpus_bleu
def corpus_bleu(hypotheses, references, max_n: int = 4) -> float:
    log_precision = 0.0
    for n in range(1, max_n + 1):
        matches = total = 0
        for hyp, ref in zip(hypotheses, references, strict=True):
            ref_grams = {tuple(ref[i : i + n]) for i in range(len(ref) - n + 1)}
            hyp_grams = [tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1)]
            matches += sum(g in ref_grams for g in hyp_grams)
            total += len(hyp_grams)
        if matches == 0:
            return 0.0
        log_precision += math.log(matches / total) / max_n
    c = sum(len(h) for h in hypotheses)
    r = sum(len(ref) for ref in references)
    return (1.0 if c > r else math.exp(1 - r / c)) * math.exp(log_precision)
