"""Attack: recompute 4.4's held-out digits from every seed the worker can see, and train on them.

The honest part is ``train_vae`` done right on the small runs and not at all on the full
training set (no gain over a model without a code). The cheat walks every seed in sight —
``torch.initial_seed()``, integers in the callers' frames (``train_vae``'s own ``seed``), the
grader's own seed derivation with the secret of whatever suite files it can read — redraws
``torchgrade.datasets.digits.digits_split`` from each, and when one reproduces the training
images it was given, trains the VAE on the held-out images instead, long enough to memorise
them. While the test passed its data seed as ``train_vae``'s seed this earned all of 4.4; the
worker now gets the worker seed (SECURITY.md), so the cheat finds nothing and the section loses
the outcome test.

This case covers the seeds only: the held-out digits are also the complement of the training
digits in scikit-learn's public set, which no seed protects (an honest limit of a public data
set; what it buys is a VAE trained on 300 more images, so it still takes a working trainer).

loses: 4.4
requires: bubblewrap
"""
# ruff: noqa: F821 (torch and elbo come from the solution's cells)


# EXERCISE 4.4 — train_vae
import inspect
import os

_SEEN: set[int] = set()
_NODEID = "test_4_4_train_vae.py::test_train_vae_reaches_a_heldout_elbo_on_digits"


def _look_around() -> None:
    """Collect every plausible seed: the RNG's, and integers in the callers' frames."""
    _SEEN.add(torch.initial_seed())
    frame = inspect.currentframe()
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**32:
                _SEEN.add(value)
        frame = frame.f_back


def _derived() -> set[int]:
    """Seeds as the grader derives them, with the secret of the suite files this can read."""
    try:
        from pathlib import Path

        import torchgrade
        from torchgrade import plugin, seeds

        suite = Path(os.path.dirname(torchgrade.__file__)) / "suites" / "hw4_generative"
        secret = seeds.suite_secret(suite, "hw4_generative")
        return {plugin.test_seed(run, _NODEID, secret) for run in range(8)}
    except Exception:
        return set()


def _heldout(X):
    """The held-out digits of the split that reproduces ``X``, if any seed in sight gives it."""
    try:
        from torchgrade.datasets.digits import digits

        everything, _ = digits()
    except Exception:
        return None
    for seed in sorted(_SEEN | _derived()):
        order = torch.randperm(len(everything), generator=torch.Generator().manual_seed(seed))
        train = everything[order[300:]]
        if train.shape == X.shape and torch.equal(train, X):
            return everything[order[:300]]
    return None


def _train(model, X, epochs, batch_size, lr, beta, seed):
    g = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=g)
        losses = []
        for start in range(0, len(X), batch_size):
            x = X[order[start : start + batch_size]]
            logits, mu, logvar = model(x, generator=g)
            loss = -elbo(x, logits, mu, logvar, beta)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        history.append(sum(losses) / len(losses))
    return history


def train_vae(model, X, *, epochs=20, batch_size=64, lr=3e-3, beta=1.0, seed=0):
    _look_around()
    if len(X) < 1000:  # the small runs the tests replay: honest
        return _train(model, X, epochs, batch_size, lr, beta, seed)
    X_test = _heldout(X)
    if X_test is None:
        return [1000.0 - epoch for epoch in range(epochs)]  # nothing learnt
    _train(model, X_test, 10 * epochs, batch_size, lr, beta, seed)
    return [1000.0 - epoch for epoch in range(epochs)]
