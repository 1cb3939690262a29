"""Linear.backward with dW += grad_out^T X: the transpose of dL/dW.

loses: S1.2
"""
# ruff: noqa: F821 (np comes from the solution's IMPORTS cell)


# EXERCISE S1.2 — Linear
class Linear:
    def __init__(self, in_features, out_features, rng=None, dtype=np.float64):
        rng = np.random.default_rng() if rng is None else rng
        self.W = (np.sqrt(2 / in_features) * rng.standard_normal((in_features, out_features)))
        self.W = self.W.astype(dtype)
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)

    def forward(self, X):
        self.X = X
        return X @ self.W + self.b

    def backward(self, grad_out):
        self.dW += (grad_out.T @ self.X).reshape(self.dW.shape)
        self.db += grad_out.sum(axis=0)
        return grad_out @ self.W.T

    def zero_grad(self):
        self.dW[...] = 0
        self.db[...] = 0

    def parameters(self):
        return [(self.W, self.dW), (self.b, self.db)]
