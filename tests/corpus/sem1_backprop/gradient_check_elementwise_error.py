"""gradient_check with the largest elementwise relative error instead of the contract's norms.

loses: S1.5
"""
# ruff: noqa: F821 (np comes from the solution's IMPORTS cell)


# EXERCISE S1.5 — gradient_check
def gradient_check(f, x, grad, eps=1e-6, tol=1e-6):
    g = numerical_gradient(f, x, eps)
    err = float(np.max(np.abs(grad - g) / np.maximum(np.abs(grad) + np.abs(g), 1e-12)))
    return err < tol, err
