"""A correct gradient check written differently: np.nditer over x, the error with np.sqrt of
sums of squares.

loses: nothing
"""
# ruff: noqa: F821 (np comes from the solution's IMPORTS cell)


# EXERCISE S1.5 — numerical_gradient
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        fp = f(x)
        x[i] = old - eps
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * eps)
        it.iternext()
    return grad


# EXERCISE S1.5 — gradient_check
def gradient_check(f, x, grad, eps=1e-6, tol=1e-6):
    g = numerical_gradient(f, x, eps)
    num = np.sqrt(np.sum((grad - g) ** 2))
    den = max(np.sqrt(np.sum(grad**2)) + np.sqrt(np.sum(g**2)), 1e-12)
    return bool(num / den < tol), float(num / den)
