"""Forbidden APIs are found through aliases, helpers and getattr; allowed uses are not flagged."""

import pytest

from torchgrade.rules import check_rules
from torchgrade.specs import CellSpec

IMPORTS = "import torch\nfrom torch import nn\nimport torch.nn.functional as F\n"


def _violations(course, code: str) -> dict:
    cells = [CellSpec("imports", IMPORTS, "nb"), CellSpec("x", code, "nb")]
    return check_rules(cells, course.homework("hw1_basics"))


@pytest.mark.parametrize(
    "code",
    [
        "class LogisticRegression(nn.Module):\n    def __init__(self, d):\n"
        "        super().__init__()\n        self.lin = nn.Linear(d, 1, bias=False)\n",
        "import torch.nn as tnn\nclass LogisticRegression(tnn.Module):\n"
        "    def forward(self, X):\n        return tnn.functional.linear(X, self.w.T)\n",
        "from torch.nn import Linear as L\nclass LogisticRegression(nn.Module):\n"
        "    def __init__(self, d):\n        self.l = L(d, 1)\n",
        "Lin = nn.Linear\nclass LogisticRegression(nn.Module):\n    def __init__(self, d):\n"
        "        self.l = Lin(d, 1)\n",
        "class LogisticRegression(nn.Module):\n    def __init__(self, d):\n"
        "        self.l = getattr(nn, 'Linear')(d, 1)\n",
        "def _layer(d):\n    return torch.nn.Linear(d, 1)\nclass LogisticRegression(nn.Module):\n"
        "    def __init__(self, d):\n        self.l = _layer(d)\n",
    ],
)
def test_linear_in_logistic_regression_is_found(course, code):
    found = _violations(course, code)
    assert list(found) == ["LogisticRegression"]
    assert "torch.nn" in found["LogisticRegression"].message()


def test_bce_and_sigmoid_rules(course):
    code = (
        "def sigmoid(z):\n    return z.sigmoid()\n"
        "def bce_loss(X, w, y):\n    return F.binary_cross_entropy_with_logits(X @ w, y)\n"
    )
    found = _violations(course, code)
    assert set(found) == {"sigmoid", "bce_loss"}
    assert found["bce_loss"].name == "torch.nn.functional.binary_cross_entropy_with_logits"
    assert found["bce_loss"].line == 4


def test_allowed_code_is_not_flagged(course):
    code = (
        "def sigmoid(z):\n    return 1 / (1 + torch.exp(-z))\n"
        "def bce_loss(X, w, y):\n    z = X @ w\n    return -(y * F.logsigmoid(z)"
        " + (1 - y) * F.logsigmoid(-z)).mean() + 0 * sigmoid(z).sum()\n"
        "def make_mlp(d):\n    return nn.Sequential(nn.Linear(d, 1))\n"
        "class LogisticRegression(nn.Module):\n    def __init__(self, d):\n"
        "        super().__init__()\n        self.w = nn.Parameter(torch.randn(d, 1))\n"
    )
    assert _violations(course, code) == {}


CLEAN_SIGMOID = "def sigmoid(z):\n    return 1 / (1 + torch.exp(-z))\n"


@pytest.mark.parametrize(
    ("cells", "exercise", "says"),
    [
        (["sigmoid = torch.sigmoid\n"], "sigmoid", "an assignment"),
        ([CLEAN_SIGMOID, "sigmoid = torch.sigmoid\n"], "sigmoid", "an assignment"),
        (["from torch import sigmoid\n"], "sigmoid", "an import"),
        (["if True:\n    def sigmoid(z):\n        return z\n"], "sigmoid", "inside a block"),
        (
            [CLEAN_SIGMOID, CLEAN_SIGMOID.replace("1 / (1", "torch.sigmoid(z) + 0 * (1")],
            "sigmoid",
            "a second definition",
        ),
        ([CLEAN_SIGMOID, "globals()['sigmoid'] = torch.sigmoid\n"], "sigmoid", "globals()"),
        (
            [CLEAN_SIGMOID, "def f():\n    global sigmoid\n    sigmoid = torch.sigmoid\n"],
            "sigmoid",
            "an assignment",
        ),
        (
            [
                "def helper(z):\n    return torch.sigmoid(z)\n"
                "def sigmoid(z):\n    return helper(z)\n"
            ],
            "sigmoid",
            "torch.sigmoid",
        ),
        (
            [
                "class Base(nn.Module):\n    def __init__(self, d):\n        super().__init__()\n"
                "        self.l = nn.Linear(d, 1)\n",
                "class LogisticRegression(Base):\n    pass\n",
            ],
            "LogisticRegression",
            "torch.nn.Linear",
        ),
        (
            ["def bce_loss(X, w, y):\n    return getattr(F, 'binary_cross_' + 'entropy')(X, y)\n"],
            "bce_loss",
            "binary_cross_entropy",
        ),
        (
            ["def bce_loss(X, w, y):\n    name = 'bce'\n    return getattr(F, name)(X, y)\n"],
            "bce_loss",
            "computed name",
        ),
        (
            ["def bce_loss(X, w, y):\n    g = getattr\n    return g(F, 'b' + 'ce_x'[:2])(X, y)\n"],
            "bce_loss",
            "computed name",
        ),
        (
            ["def bce_loss(X, w, y):\n    return F.__dict__['binary_cross_entropy'](X, y)\n"],
            "bce_loss",
            "__dict__",
        ),
        (
            ["def bce_loss(X, w, y):\n    return eval('F.binary_cross_entropy')(X, y)\n"],
            "bce_loss",
            "eval",
        ),
    ],
)
def test_every_way_of_binding_or_hiding_an_exercise_is_flagged(course, cells, exercise, says):
    specs = [CellSpec("imports", IMPORTS, "nb")] + [
        CellSpec(f"c{i}", code, f"cell {i}") for i, code in enumerate(cells)
    ]
    found = check_rules(specs, course.homework("hw1_basics"))
    assert exercise in found, found
    assert says in found[exercise].message(), found[exercise].message()


def test_local_names_and_other_exercises_are_not_bindings(course):
    code = (
        CLEAN_SIGMOID + "def bce_loss(X, w, y):\n    sigmoid = 1 / (1 + torch.exp(-(X @ w)))\n"
        "    return -(y * torch.log(sigmoid)).mean()\n"
        "def helper(d):\n    return torch.randn(d, 1)\n"
        "class LogisticRegression(nn.Module):\n    def __init__(self, d):\n"
        "        super().__init__()\n        self.w = nn.Parameter(helper(d))\n"
        "    def forward(self, X):\n        return getattr(self, 'w').sum() + X @ self.w\n"
    )
    assert _violations(course, code) == {}


@pytest.mark.parametrize(
    "code", ["x = torch" + ".a" * 1500 + "\n", "LogisticRegression = nn" + ".a" * 1500 + "\n"]
)
def test_code_too_deep_to_read_is_flagged_not_a_crash(course, code):
    """A 1,500-deep attribute chain crashed the rules with RecursionError; no rule can read it,
    so every exercise with rules is flagged as unreadable (its own cell is refused earlier)."""
    found = _violations(course, code)
    assert found and all(v.kind == "unreadable" for v in found.values())
    assert "nested more than 200 levels deep" in found["LogisticRegression"].message()
