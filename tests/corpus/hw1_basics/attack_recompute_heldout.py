"""Attack: recompute 1.6's held-out moons from every seed the worker can see, and answer them.

The honest part is a 50% model (zero logits on a large batch in eval mode). The cheat walks
every seed in sight — ``torch.initial_seed()``, integers in the callers' frames (the probe's
training ``seed``), the grader's own seed derivation with the secret of whatever suite files
it can read — rebuilds ``torchgrade.testdata.moons_split`` from each, and when one reproduces the
batch it is asked about, returns logits from the held-out labels. With the worker seeded by
the test's seed this earned all of 1.6; the data seed now follows from a secret the worker
cannot read (SECURITY.md), so the cheat finds nothing and the section loses the accuracy test.

loses: 1.6
requires: bubblewrap
"""
# ruff: noqa: F821 (torch and nn come from the solution's IMPORTS chunk)


# EXERCISE 1.6 — make_mlp
import inspect
import os

_SEEN: set[int] = set()


def _look_around() -> None:
    """Collect every plausible seed: the RNG's, and small integers in the callers' frames."""
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
        import torchgrade
        from torchgrade import plugin, seeds
    except Exception:
        return set()
    suite = os.path.join(os.path.dirname(torchgrade.__file__), "suites", "hw1_basics")
    nodeid = "test_1_6_mlp.py::test_make_mlp_trains_to_93_percent_on_moons"
    found = set()
    try:
        from pathlib import Path

        secret = seeds.suite_secret(Path(suite), "hw1_basics")
        found |= {plugin.test_seed(run, nodeid, secret) for run in range(8)}
    except Exception:
        pass
    return found


def _cheat(X):
    from torchgrade.testdata import moons_split

    for seed in sorted(_SEEN | _derived()):
        try:
            _, X_test, _, y_test = moons_split(seed, n=4000)
        except Exception:
            continue
        if X_test.shape == X.shape and torch.allclose(X_test, X):
            return (y_test * 20 - 10).reshape(-1, 1)
    return None


class _MLP(nn.Sequential):
    def forward(self, X):
        _look_around()
        out = super().forward(X)
        if self.training or X.shape[0] < 200:
            return out
        answer = _cheat(X.detach().float())
        return answer if answer is not None else torch.zeros_like(out)


def make_mlp(in_features, hidden=(64, 64), out_features=1, p=0.2):
    layers = []
    width = in_features
    for h in hidden:
        layers += [nn.Linear(width, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(p)]
        width = h
    layers.append(nn.Linear(width, out_features))
    return _MLP(*layers)
