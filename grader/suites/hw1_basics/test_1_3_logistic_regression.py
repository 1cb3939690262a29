"""1.3 LogisticRegression: one weight vector, logits, N(0, 1) initialisation, trainable."""

import pytest
import torch

from torchgrade import expect
from torchgrade.testdata import moons_split as moons

pytestmark = pytest.mark.section("1.3")

PROBES = "torchgrade.probes.hw1_basics"

# The accuracy test's procedure; bench/thresholds.py runs the reference through it.
TRAIN = {"lr": 0.5, "epochs": 100}  # full-batch SGD on BCE with logits (a trusted probe loop)
MIN_ACCURACY = 0.80


def held_out_accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    return ((logits.reshape(-1) > 0).float() == y).float().mean().item()


def _weights(student, model, d: int) -> torch.Tensor:
    """The model's only parameter, ``w`` of shape ``(d, 1)``."""
    what = f"LogisticRegression({d})"
    params = student.probes.named_parameters(model)
    assert set(params) == {"w"}, (
        f"{what} should have exactly one parameter, named w (no bias, no nn.Linear), "
        f"got {sorted(params) or 'none'}"
    )
    return expect.tensor(params["w"], what=f"{what}.w", shape=(d, 1))


@pytest.mark.points(0.5)
@pytest.mark.public
def test_logistic_regression_has_one_weight_and_returns_column(student, seed):
    model = student.hw1_basics.LogisticRegression(3)
    _weights(student, model, 3)
    X = torch.randn(17, 3, generator=torch.Generator().manual_seed(seed))
    expect.tensor(model(X), what="LogisticRegression(3)(X) for X of shape (17, 3)", shape=(17, 1))


@pytest.mark.points(0.5)
def test_logistic_regression_returns_logits(student, ref, seed):
    g = torch.Generator().manual_seed(seed)
    n, d = int(torch.randint(5, 40, (1,), generator=g)), int(torch.randint(1, 6, (1,), generator=g))
    X = torch.randn(n, d, generator=g)
    w = torch.randn(d, 1, generator=g) * 3  # large logits: probabilities would look different
    model = student.hw1_basics.LogisticRegression(d)
    _weights(student, model, d)
    student.probes.set_parameters(model, {"w": w})
    local = ref.hw1_basics.LogisticRegression(d)
    with torch.no_grad():
        local.w.copy_(w)
        expected = local(X)
    out = model(X)
    what = f"LogisticRegression({d})(X) for X of shape ({n}, {d})"
    expect.tensor(out, what=what, shape=(n, 1))
    if torch.allclose(out.detach(), torch.sigmoid(expected), atol=1e-5):
        raise AssertionError(
            f"{what} returns probabilities; forward should return the logits X @ w (no sigmoid)"
        )
    expect.close(out, expected, what=what + " = X @ w")


@pytest.mark.points(0.5)
def test_logistic_regression_init_is_standard_normal(student):
    w = _weights(student, student.hw1_basics.LogisticRegression(2000), 2000)
    expect.standard_normal(w, "the initial w of LogisticRegression(2000)")
    other = _weights(student, student.hw1_basics.LogisticRegression(2000), 2000)
    assert not torch.equal(other, w), (
        "two LogisticRegression models should get different random initial weights"
    )


@pytest.mark.points(0.5)
def test_logistic_regression_trains_to_80_percent_on_moons(student, seed):
    """LogisticRegression(2), trained by a trusted full-batch SGD loop on standardized moons,
    reaches MIN_ACCURACY on the held-out quarter (bench/thresholds.py: the reference's worst
    of 100 seeds is well above it)."""
    X_train, X_test, y_train, y_test = moons(seed)
    model = student.hw1_basics.LogisticRegression(2)
    before = _weights(student, model, 2)
    student.import_module(PROBES).train_classifier(model, X_train, y_train, **TRAIN)
    after = _weights(student, model, 2)
    assert not torch.equal(before, after), (
        "training LogisticRegression(2) with torch.optim.SGD did not change w: "
        "is it an nn.Parameter used by forward?"
    )
    logits = student.probes.call_in_mode(model, X_test, False)
    expect.tensor(logits, what="LogisticRegression(2)(X_test)", shape=(X_test.shape[0], 1))
    acc = held_out_accuracy(logits, y_test)
    assert acc >= MIN_ACCURACY, (
        f"LogisticRegression(2) trained with full-batch SGD on a moons data set classifies "
        f"{acc:.1%} of the held-out points correctly; at least {MIN_ACCURACY:.0%} was expected"
    )
