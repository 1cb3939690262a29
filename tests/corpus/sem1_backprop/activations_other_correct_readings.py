"""Correct activations written as in the lecture: integer 0/1 arrays from np.where, a clipped
logistic, tanh as 2 sigma(2z) - 1, leaky ReLU as np.maximum(alpha z, z).

loses: nothing
"""
# ruff: noqa: F821 (np comes from the solution's IMPORTS cell)


# EXERCISE S1.1 — logistic
def logistic(x):
    return 1 / (1 + np.exp(-np.clip(x, -500, 500)))


# EXERCISE S1.1 — logistic_derivative
def logistic_derivative(x):
    fx = logistic(x)
    return fx * (1 - fx)


# EXERCISE S1.1 — tanh
def tanh(z):
    return 2 * logistic(2 * z) - 1


# EXERCISE S1.1 — relu_derivative
def relu_derivative(x):
    return np.where(x > 0, 1, 0)


# EXERCISE S1.1 — leaky_relu
def leaky_relu(z, alpha=0.01):
    return np.maximum(alpha * z, z)


# EXERCISE S1.1 — step
def step(x):
    return np.where(x >= 0, 1, 0)
