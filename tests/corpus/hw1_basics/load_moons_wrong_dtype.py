"""load_moons returns NumPy's float64 (and int64 labels) converted as they are, not float32.

loses: 1.1
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.1 — load_moons
def load_moons(n_samples=1000, noise=0.2, test_size=0.25, random_state=0):
    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=random_state)
    parts = train_test_split(X, y, test_size=test_size, random_state=random_state)
    return tuple(torch.from_numpy(a) for a in parts)
