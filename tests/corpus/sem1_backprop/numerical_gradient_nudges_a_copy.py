"""numerical_gradient nudges a copy of x: right for a function of its argument, all zeros for
a loss that reads the array itself (a layer's weights).

loses: S1.5
"""
# ruff: noqa: F821 (np comes from the solution's IMPORTS cell)


# EXERCISE S1.5 — numerical_gradient
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += eps
        minus[i] -= eps
        grad[i] = (f(plus) - f(minus)) / (2 * eps)
    return grad
