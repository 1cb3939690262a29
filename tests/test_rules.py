"""Forbidden APIs are found through aliases, helpers and getattr; allowed uses are not flagged."""

import pytest

from grader.rules import check_rules
from grader.specs import CellSpec

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
