"""Fault: a syntax error in one exercise.

scores: 1.3=0
"""


# EXERCISE 1.3 — LogisticRegression
class LogisticRegression(nn.Module):
    def __init__(self, in_features: int) -> None
        super().__init__()
