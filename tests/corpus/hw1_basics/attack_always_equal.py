"""Attack: return an object equal to everything, convertible to anything.

It is not data, so it stays in the worker as a handle and no check accepts it.

scores: 1.3=0
"""


# EXERCISE 1.3 — LogisticRegression
class _AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __float__(self):
        return 0.0

    def __array__(self, *args, **kwargs):
        import numpy

        return numpy.zeros((1, 1), dtype="float32")

    def __getattr__(self, name):
        return self


class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()

    def forward(self, X):
        return _AlwaysEqual()

    def __getattr__(self, name):
        return _AlwaysEqual()
