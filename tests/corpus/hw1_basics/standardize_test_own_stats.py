"""standardize scales the test set with its own mean and std (test data leaks into the
preprocessing) instead of the training set's.

loses: 1.1
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.1 — standardize
def standardize(X_train: torch.Tensor, X_test: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    def scale(X: torch.Tensor) -> torch.Tensor:
        return (X - X.mean(dim=0)) / X.std(dim=0)

    return scale(X_train), scale(X_test)
