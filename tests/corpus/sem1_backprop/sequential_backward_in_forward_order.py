"""Sequential.backward runs the layers first to last instead of last to first.

loses: S1.6
"""
# ruff: noqa: F821 (np comes from the solution's IMPORTS cell)


# EXERCISE S1.6 — Sequential
class Sequential:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, X):
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, grad_out):
        for layer in self.layers:
            grad_out = layer.backward(grad_out)
        return grad_out

    def zero_grad(self):
        for layer in self.layers:
            layer.zero_grad()

    def parameters(self):
        return [pair for layer in self.layers for pair in layer.parameters()]
