"""l2_penalty forgets the factor C: it returns Σ θ².

loses: 1.7
"""


# EXERCISE 1.7 — l2_penalty
def l2_penalty(model, C):
    return sum((p**2).sum() for p in model.parameters())
