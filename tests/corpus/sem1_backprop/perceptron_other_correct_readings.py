"""A correct perceptron written differently: np.heaviside(z, 1) for the step, the update
written for every example (a zero error changes nothing), int predictions.

loses: nothing
"""
# ruff: noqa: F821 (np comes from the solution's IMPORTS cell)


# EXERCISE S1.7 — Perceptron
class Perceptron:
    def __init__(self, lr=1.0, max_epochs=100):
        self.lr = lr
        self.max_epochs = max_epochs
        self.w = None
        self.b = 0.0

    def fit(self, X, y):
        n, d = X.shape
        self.w = np.zeros(d)
        self.b = 0.0
        mistakes_per_epoch = []
        for _epoch in range(self.max_epochs):
            mistakes = 0
            for i in range(n):
                y_hat = np.heaviside(X[i] @ self.w + self.b, 1.0)
                self.w = self.w + self.lr * (y[i] - y_hat) * X[i]
                self.b = self.b + self.lr * (y[i] - y_hat)
                mistakes += int(y_hat != y[i])
            mistakes_per_epoch.append(mistakes)
            if mistakes == 0:
                break
        return mistakes_per_epoch

    def predict(self, X):
        return np.heaviside(X @ self.w + self.b, 1.0).astype(int)
