"""softmax subtracts the max in place (logits -= ...): the caller's logits change.

loses: S1.4
"""
# ruff: noqa: F821 (np comes from the solution's IMPORTS cell)


# EXERCISE S1.4 — softmax
def softmax(logits):
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)
