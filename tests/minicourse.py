"""A small course for tests that grade many submissions: hw1's sections 1.3 and 1.4 only.

Its own ``course.toml`` (short time limits, ``mark_divisor = 2`` so that rounding half up
shows) and its own five-test hidden suite, written into a temporary folder laid out like the
repository (``grader/course.toml``, ``grader/suites/``, ``exercises/``), so a grade costs a
second instead of the real suite's fifteen, and the expected scores below never drift with
the real suite.
"""

import shutil
import textwrap
from pathlib import Path

from torchgrade.course import Course, load_course

ROOT = Path(__file__).resolve().parent.parent

COURSE_TOML = """\
[course]
title = "mini course"
mark_divisor = 2

[limits]
test_timeout_s = 5
import_timeout_s = 5
cpu_s = 30

[[assignment]]
id = "hw1_basics"
title = "PyTorch basics, two sections"

[[assignment.section]]
id = "1.3"
title = "LogisticRegression"
points = 1
exercises = ["LogisticRegression"]
forbid.LogisticRegression = ["torch.nn.Linear", "torch.nn.functional.linear"]

[[assignment.section]]
id = "1.4"
title = "Sigmoid and BCE"
points = 2
exercises = ["sigmoid", "bce_loss"]
forbid.sigmoid = ["*.sigmoid", "*.Sigmoid", "*expit"]
"""

SUITE_1_3 = '''\
"""1.3 (mini): LogisticRegression."""

import pytest
import torch

from torchgrade import expect

pytestmark = pytest.mark.section("1.3")


def _inputs(seed: int, n: int, d: int) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


@pytest.mark.points(0.5)
@pytest.mark.public
def test_logits_shape(student, seed):
    model = student.hw1_basics.LogisticRegression(3)
    logits = model(_inputs(seed, 7, 3))
    expect.tensor(logits, what="LogisticRegression(3)(X) for X (7, 3)", shape=(7, 1))


@pytest.mark.points(0.5)
def test_logits_are_x_at_w(student, seed):
    X = _inputs(seed, 11, 4)
    model = student.hw1_basics.LogisticRegression(4)
    HIDDEN_LOGITS_CHECK = torch.allclose(model(X), X @ model.w, atol=1e-5)
    assert HIDDEN_LOGITS_CHECK, "LogisticRegression(4)(X) should be X @ w, X of shape (11, 4)"
'''

SUITE_1_4 = '''\
"""1.4 (mini): sigmoid and bce_loss."""

import pytest
import torch

pytestmark = pytest.mark.section("1.4")


@pytest.mark.points(0.5)
@pytest.mark.public
def test_sigmoid_of_zero_is_half(student):
    got = student.hw1_basics.sigmoid(torch.zeros(3))
    assert torch.allclose(got, torch.full((3,), 0.5)), "sigmoid(torch.zeros(3)) should be 0.5s"


@pytest.mark.points(0.5)
def test_sigmoid_matches_the_formula(student, seed):
    z = torch.randn(5, 1, generator=torch.Generator().manual_seed(seed)) * 4
    assert torch.allclose(student.hw1_basics.sigmoid(z), 1 / (1 + torch.exp(-z)), atol=1e-6), (
        "sigmoid(z) should be 1 / (1 + exp(-z)) for z of shape (5, 1)"
    )


@pytest.mark.points(1)
def test_bce_is_the_mean_cross_entropy(student, seed):
    g = torch.Generator().manual_seed(seed)
    X, w = torch.randn(9, 2, generator=g), torch.randn(2, 1, generator=g)
    y = (torch.rand(9, generator=g) > 0.5).float()
    p = torch.sigmoid(X @ w).squeeze(1)
    want = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    got = torch.as_tensor(student.hw1_basics.bce_loss(X, w, y))
    assert got.shape == () and torch.allclose(got, want, atol=1e-5), (
        f"bce_loss(X, w, y) for X (9, 2), w (2, 1), y (9,) should be the mean BCE, {want:.4f}"
    )
'''

# Source lines of the hidden tests that feedback must never show.
HIDDEN_LINES = [
    "HIDDEN_LOGITS_CHECK = torch.allclose(model(X), X @ model.w, atol=1e-5)",
    "torch.allclose(student.hw1_basics.sigmoid(z), 1 / (1 + torch.exp(-z)), atol=1e-6)",
    "want = -(y * p.log() + (1 - y) * (1 - p).log()).mean()",
    "got.shape == () and torch.allclose(got, want, atol=1e-5)",
]
HIDDEN_TESTS = [
    "test_logits_are_x_at_w",
    "test_sigmoid_matches_the_formula",
    "test_bce_is_the_mean_cross_entropy",
]


def make_course(folder: Path) -> Course:
    """Write the mini course into ``folder`` and load it."""
    grader_dir = folder / "grader"
    suite = grader_dir / "suites" / "hw1_basics"
    suite.mkdir(parents=True)
    (grader_dir / "course.toml").write_text(COURSE_TOML, encoding="utf-8")
    (suite / "test_1_3_logistic_regression.py").write_text(SUITE_1_3, encoding="utf-8")
    (suite / "test_1_4_sigmoid_bce.py").write_text(SUITE_1_4, encoding="utf-8")
    # The stub supplies the IMPORTS cell to a submission that lost its own.
    (folder / "exercises").mkdir()
    shutil.copy2(ROOT / "exercises" / "hw1_basics.py", folder / "exercises" / "hw1_basics.py")
    return load_course(grader_dir / "course.toml")


def chunk(text: str) -> str:
    """A replacement chunk written indented inside a test."""
    return textwrap.dedent(text).strip() + "\n"
