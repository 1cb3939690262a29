"""logistic as exp(z) / (1 + exp(z)): inf / inf = NaN for z = 1000.

loses: S1.1
"""
# ruff: noqa: F821 (np comes from the solution's IMPORTS cell)


# EXERCISE S1.1 — logistic
def logistic(z):
    return np.exp(z) / (1 + np.exp(z))
