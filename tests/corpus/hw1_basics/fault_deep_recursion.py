"""Fault: unbounded recursion in the constructor.

scores: 1.3=0
"""


# EXERCISE 1.3 — LogisticRegression
class LogisticRegression(nn.Module):
    def __init__(self, in_features: int) -> None:
        super().__init__()
        self._depth(in_features)

    def _depth(self, n):
        return self._depth(n + 1)
