"""relu_derivative with z >= 0: 1 at z = 0, where the contract (and autograd) say 0.

loses: S1.1
"""
# ruff: noqa: F821 (np comes from the solution's IMPORTS cell)


# EXERCISE S1.1 — relu_derivative
def relu_derivative(z):
    return (z >= 0).astype(float)
