"""Correct layers written differently: ReLU keeps X (the mask from the output Y > 0 would be the
same), Sigmoid keeps its input and recomputes, Tanh differentiates from the input.

loses: nothing
"""
# ruff: noqa: F821 (np comes from the solution's IMPORTS cell)


# EXERCISE S1.3 — ReLU
class ReLU:
    def forward(self, X):
        self.Y = np.maximum(X, 0)
        return self.Y

    def backward(self, grad_out):
        return grad_out * (self.Y > 0)

    def zero_grad(self):
        pass

    def parameters(self):
        return []


# EXERCISE S1.3 — Sigmoid
class Sigmoid:
    def forward(self, X):
        self.X = X
        return self._sigma(X)

    @staticmethod
    def _sigma(X):
        out = np.empty_like(X)
        pos = X >= 0
        out[pos] = 1 / (1 + np.exp(-X[pos]))
        e = np.exp(X[~pos])
        out[~pos] = e / (1 + e)
        return out

    def backward(self, grad_out):
        s = self._sigma(self.X)
        return grad_out * s * (1 - s)

    def zero_grad(self):
        pass

    def parameters(self):
        return []


# EXERCISE S1.3 — Tanh
class Tanh:
    def forward(self, X):
        self.X = X
        return np.tanh(X)

    def backward(self, grad_out):
        return grad_out / np.cosh(self.X) ** 2

    def zero_grad(self):
        pass

    def parameters(self):
        return []
