"""The perceptron predicts 1 only where z > 0: step(0) = 0, against the contract's step(0) = 1.

loses: S1.7
"""
# ruff: noqa: F821 (np comes from the solution's IMPORTS cell)


# EXERCISE S1.7 — Perceptron
class Perceptron:
    def __init__(self, lr=1.0, max_epochs=100):
        self.lr, self.max_epochs = lr, max_epochs
        self.w, self.b = None, 0.0

    def fit(self, X, y):
        self.w, self.b = np.zeros(X.shape[1]), 0.0
        history = []
        for _ in range(self.max_epochs):
            mistakes = 0
            for x_i, y_i in zip(X, y):
                error = y_i - float(x_i @ self.w + self.b > 0)
                if error:
                    mistakes += 1
                    self.w += self.lr * error * x_i
                    self.b += self.lr * error
            history.append(mistakes)
            if mistakes == 0:
                break
        return history

    def predict(self, X):
        return (X @ self.w + self.b > 0).astype(float)
