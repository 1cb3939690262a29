"""logistic_derivative(z) as z * (1 - z): the formula for the sigmoid's output, applied to z.

loses: S1.1
"""
# ruff: noqa: F821 (np comes from the solution's IMPORTS cell)


# EXERCISE S1.1 — logistic_derivative
def logistic_derivative(z):
    return z * (1 - z)
