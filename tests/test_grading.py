"""hw1 end to end through the trusted grader: solutions, stubs, notebooks, broken submissions."""

import pytest
from helpers import ROOT, notebook_from_module, replace_chunks, solution_text, write_notebook

from torchgrade import notebooks
from torchgrade.grading import grade

HW = "hw1_basics"
pytestmark = pytest.mark.slow


def _scores(report) -> dict[str, float]:
    return {s.id: s.score for h in report.homeworks for s in h.sections}


def _full(course) -> dict[str, float]:
    return {s.id: s.points for s in course.homework(HW).sections}


@pytest.fixture(scope="module")
def solutions_report(course):
    return grade(course=course, target="solutions", homeworks=[HW])


def test_solutions_get_full_marks(solutions_report, course):
    assert solutions_report.score == solutions_report.max_points == 15
    assert _scores(solutions_report) == _full(course)
    assert solutions_report.errors == []
    assert solutions_report.isolation["method"] in {"bubblewrap", "process"}


def test_stubs_get_zero_with_one_reason_per_section(course):
    report = grade(course=course, target="exercises", homeworks=[HW])
    assert report.score == 0 and report.max_points == 15
    for section in report.homeworks[0].sections:
        assert section.reason.startswith(f"not implemented yet ({section.id}:"), section.reason
    assert all(t.outcome == "failed" for t in report.homeworks[0].tests)


def test_student_notebook_scores_zero(course):
    report = grade(ROOT / "notebooks" / f"{HW}.ipynb", course=course)
    assert report.score == 0 and {
        s.reason.split(" (")[0] for s in report.homeworks[0].sections
    } == {"not implemented yet"}


def test_solved_notebook_gets_full_marks(tmp_path, course):
    solved = notebooks.build_notebook(course, HW, solved=True)
    path = write_notebook(tmp_path / f"{HW}.ipynb", solved)
    report = grade(path, course=course, seed=7)
    assert report.score == 15, {s.id: s.reason for s in report.homeworks[0].sections if s.reason}


def test_syntax_error_in_one_cell_loses_only_that_exercise(tmp_path, course):
    broken = solution_text().replace("def bce_loss(", "def bce_loss(:", 1)
    path = write_notebook(tmp_path / f"{HW}.ipynb", notebook_from_module(broken))
    report = grade(path, course=course, seed=3)
    scores = _scores(report)
    # The penalty unit is the exercise: sigmoid's tests in the same section still pass.
    assert {k: v for k, v in scores.items() if k != "1.4"} == {
        k: v for k, v in _full(course).items() if k != "1.4"
    }
    assert 0 < scores["1.4"] < 3
    section = next(s for s in report.homeworks[0].sections if s.id == "1.4")
    assert "syntax error" in section.reason and "bce_loss" in section.reason
    failed = {t.name for t in section.tests if t.outcome != "passed"}
    assert failed and all("sigmoid" not in name for name in failed), failed


def test_missing_function_loses_only_its_section(tmp_path, course):
    text = solution_text()
    start = text.index("# EXERCISE 1.6 — make_mlp")
    end = text.index("# EXERCISE", start + 10)
    path = tmp_path / f"{HW}.py"
    path.write_text(text[:start] + "# EXERCISE 1.6 — make_mlp\n\n\n" + text[end:], encoding="utf-8")
    report = grade(path, course=course, seed=4)
    assert _scores(report) == {**_full(course), "1.6": 0}
    section = next(s for s in report.homeworks[0].sections if s.id == "1.6")
    assert "did not define `make_mlp`" in section.reason


def test_import_time_crash_in_one_cell_loses_only_that_exercise(tmp_path, course):
    text = solution_text().replace(
        "# EXERCISE 1.2 — mse_loss\n", "# EXERCISE 1.2 — mse_loss\nimport os\nos._exit(1)\n"
    )
    path = tmp_path / f"{HW}.py"
    path.write_text(text, encoding="utf-8")
    report = grade(path, course=course, seed=5)
    scores = _scores(report)
    assert {k: v for k, v in scores.items() if k != "1.2"} == {
        k: v for k, v in _full(course).items() if k != "1.2"
    }
    assert 0 < scores["1.2"] < 2  # LinearRegression's tests still pass: the unit is the exercise
    section = next(s for s in report.homeworks[0].sections if s.id == "1.2")
    failed = {t.name for t in section.tests if t.outcome != "passed"}
    assert failed and all("mse" in name for name in failed), failed


def test_seed_reproduces_a_run(tmp_path, course):
    # Feedback quotes numbers computed from the drawn inputs: the same seed, the same words.
    buggy = (ROOT / "tests" / "corpus" / HW / "bce_eps_clamp.py").read_text(encoding="utf-8")
    path = tmp_path / f"{HW}.py"
    path.write_text(replace_chunks(solution_text(), buggy), encoding="utf-8")

    def messages(seed):
        report = grade(path, course=course, homeworks=[HW], seed=seed)
        return [(t.name, t.outcome, t.message) for t in report.homeworks[0].tests]

    first = messages(1234)
    assert any(outcome == "failed" for _, outcome, _ in first)
    assert messages(1234) == first
    assert messages(4321) != first
