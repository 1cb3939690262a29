"""numerical_gradient with forward differences (f(x + eps) - f(x)) / eps: error O(eps).

loses: S1.5
"""
# ruff: noqa: F821 (np comes from the solution's IMPORTS cell)


# EXERCISE S1.5 — numerical_gradient
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros(x.shape)
    fx = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        grad[i] = (f(x) - fx) / eps
        x[i] = old
    return grad
