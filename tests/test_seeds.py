"""The seeds of a test: reproducible for the instructor, underivable for the worker."""

import ast
from pathlib import Path

import pytest
from helpers import solution_text
from minicourse import make_course

from torchgrade import seeds
from torchgrade.course import SuiteError, load_course
from torchgrade.grading import grade
from torchgrade.plugin import test_seed as data_seed_of
from torchgrade.remote import Withholding

NODE = "test_1_6_mlp.py::test_make_mlp_trains_to_93_percent_on_moons"


def _suite(tmp_path, text: str):
    suite = tmp_path / "hw1_basics"
    suite.mkdir(exist_ok=True)
    (suite / "test_a.py").write_text(text, encoding="utf-8")
    (suite / "__pycache__").mkdir(exist_ok=True)
    (suite / "__pycache__" / "test_a.cpython-311.pyc").write_bytes(b"changes every import")
    return suite


def test_the_secret_is_the_hidden_suite_or_the_instructors_variable(tmp_path, monkeypatch):
    monkeypatch.delenv(seeds.SECRET_ENV, raising=False)
    suite = _suite(tmp_path, "def test_x(): pass\n")
    secret = seeds.suite_secret(suite, "hw1_basics")
    assert seeds.suite_secret(suite, "hw1_basics") == secret  # the same suite, the same data
    assert seeds.suite_secret(suite, "hw2_segmentation") != secret
    masked = seeds.suite_secret(tmp_path / "masked", "hw1_basics")  # a worker's view: nothing
    assert masked != secret
    edited = _suite(tmp_path, "def test_x(): pass  # edited\n")
    assert seeds.suite_secret(edited, "hw1_basics") != secret
    monkeypatch.setenv(seeds.SECRET_ENV, "a private string")
    pinned = seeds.suite_secret(edited, "hw1_basics")
    assert pinned not in (secret, masked)
    assert seeds.suite_secret(_suite(tmp_path, "def test_y(): pass\n"), "hw1_basics") == pinned


def test_data_and_worker_seeds_are_reproducible_and_unrelated(tmp_path):
    secret = seeds.suite_secret(_suite(tmp_path, "x = 1\n"), "hw1_basics")
    data = [data_seed_of(run, NODE, secret) for run in range(200)]
    worker = [seeds.worker_seed(run, NODE, secret) for run in range(200)]
    assert data == [seeds.data_seed(run, NODE, secret) for run in range(200)]
    assert all(0 <= s < 2**31 for s in data + worker)
    assert len(set(data)) == 200 and not set(data) & set(worker)
    # Without the secret, neither the run's seed nor the worker's seed gives the data seed.
    other = seeds.suite_secret(tmp_path / "masked", "hw1_basics")
    assert [seeds.data_seed(run, NODE, other) for run in range(200)] != data


def _seedlike(node: ast.expr) -> bool:
    """``seed``, or arithmetic on it (``seed + 1``, ``seed * 31 + trial``)."""
    if isinstance(node, ast.Name):
        return node.id == "seed"
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
        return _seedlike(node.left) or _seedlike(node.right)  # ``seed % 3`` is a few bits
    return isinstance(node, ast.UnaryOp) and _seedlike(node.operand)


def _rooted_at(node: ast.expr, names: set[str]) -> bool:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return isinstance(node, ast.Name) and node.id in names


def _carries_seed(node: ast.expr, tainted: set[str]) -> bool:
    """``seed`` itself, a name bound to something carrying it, or a literal dict, list or
    tuple holding one (``settings = {"seed": seed}`` then ``f(**settings)``); data computed
    from it by a call are not (they are what a test sends)."""
    if _seedlike(node) or (isinstance(node, ast.Name) and node.id in tainted):
        return True
    if isinstance(node, ast.Dict):
        return any(_carries_seed(v, tainted) for v in node.values)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return any(_carries_seed(e, tainted) for e in node.elts)
    return isinstance(node, ast.Starred) and _carries_seed(node.value, tainted)


def data_seed_sent_to_worker(source: str) -> list[str]:
    """Calls in a test taking the ``seed`` fixture that pass it (or arithmetic on it, or a
    literal holding it) to the worker: to ``student.…`` or to a name bound to one (``probes =
    student.import_module(...)``). Data drawn from it here and then sent are fine. Helpers that
    forward a seed are not followed: the run-time guard (``remote.Withholding``) catches them.
    """
    found = []
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, ast.FunctionDef) or not fn.name.startswith("test_"):
            continue
        if "seed" not in [a.arg for a in fn.args.args]:
            continue
        worker, tainted = {"student"}, set()
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign):
                names = {t.id for t in node.targets if isinstance(t, ast.Name)}
                if _rooted_at(node.value, worker):
                    worker |= names
                elif _carries_seed(node.value, tainted):
                    tainted |= names
        for node in ast.walk(fn):
            if not isinstance(node, ast.Call):
                continue
            arguments = [*node.args, *(k.value for k in node.keywords)]
            if _rooted_at(node.func, worker) and any(_carries_seed(a, tainted) for a in arguments):
                found.append(f"{fn.name}, line {node.lineno}")
    return found


def test_the_scan_finds_a_data_seed_sent_to_the_worker():
    leaky = (
        "def test_a(student, seed, worker_seed):\n"
        "    probes = student.import_module(P)\n"
        "    net = probes.mlp(seed + 1)\n"
        "    student.torch.manual_seed(worker_seed)\n"
        "    X = torch.randn(3, generator=torch.Generator().manual_seed(seed))\n"
        "    student.hw.fit(net, X, seed=worker_seed)\n"
        "    settings = {'lr': 0.1, 'seed': seed}\n"
        "    student.hw.fit(net, X, **settings)\n"
    )
    assert data_seed_sent_to_worker(leaky) == ["test_a, line 3", "test_a, line 8"]


def test_no_assignment_sends_the_worker_a_data_seed():
    """Every assignment of the course (issue 9, item 5); a helper that forwards a seed to the
    worker is not followed by the scan (sem2's ``check_paths`` and sem3's ``_stats`` were read
    by hand)."""
    for homework in (h.id for h in load_course().homeworks):
        suite = Path(__file__).resolve().parents[1] / "grader" / "suites" / homework
        for path in sorted(suite.glob("test_*.py")):
            assert not data_seed_sent_to_worker(path.read_text("utf-8")), (homework, path.name)


class _Recorder:
    """A channel that records what it was asked to send."""

    def __init__(self):
        self.sent = []

    def request(self, header, buffers=()):
        self.sent.append(header)
        return {"ok": True, "value": None}, []


@pytest.mark.parametrize("offset", [0, 1, -3, 16])
def test_the_data_seed_never_leaves_the_grader(offset):
    channel = _Recorder()
    guarded = Withholding(channel, seed=1_234_567)
    for value in (1_234_567 + offset, float(1_234_567 + offset), [[{"x": 1_234_567 + offset}]]):
        with pytest.raises(SuiteError, match="data seed"):
            guarded.request({"op": "call", "target": 3, "args": [value]})
    assert channel.sent == []


def test_numbers_far_from_the_data_seed_and_ids_cross():
    channel = _Recorder()
    guarded = Withholding(channel, seed=1_234_567)
    guarded.request({"op": "call", "target": 1_234_567, "args": [1_234_567 + 17, 0.5, True]})
    assert len(channel.sent) == 1


LEAKY_TEST = """
import pytest

pytestmark = pytest.mark.section("1.3")


@pytest.mark.points(0.5)
def test_leaky(student, seed):
    student.torch.manual_seed(seed + 1)


@pytest.mark.points(0.5)
def test_tight(student, worker_seed):
    student.torch.manual_seed(worker_seed + 1)
"""


def test_a_suite_that_sends_its_data_seed_is_a_grader_error(tmp_path):
    """Through the plugin: the leaky test errors as the grader's fault, its sibling passes."""
    course = make_course(tmp_path / "course")
    suite = course.suite_dir("hw1_basics")
    (suite / "test_1_3_logistic_regression.py").write_text(LEAKY_TEST, encoding="utf-8")
    path = tmp_path / "hw1_basics.py"
    path.write_text(solution_text(), encoding="utf-8")
    report = grade(path, course=course, seed=1, homeworks=["hw1_basics"])
    tests = {t.name: t for t in report.homeworks[0].tests}
    assert tests["test_leaky"].outcome == "error"
    assert "data seed" in tests["test_leaky"].message
    assert tests["test_tight"].outcome == "passed"
