"""The corpus: buggy, cheating and faulty submissions, each with the sections it must lose.

A case is a file ``tests/corpus/<homework>/<name>.py`` holding only the exercise chunks it
changes (each opened by its marker line) and a docstring with a line ``loses: 1.2 1.4``
(``loses: nothing`` for a case that must keep full marks). The case is graded as the
reference solution with those chunks swapped in: the listed sections must score below
their maximum and every other section full marks, so each case proves both that the suite
catches the mistake and that it costs nothing else.
"""

import re
from pathlib import Path

import pytest
from conftest import replace_chunks, solution_text

from grader.grading import grade

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(CORPUS.glob("*/*.py"))
SEED = 1


def expected_losses(case: Path) -> set[str]:
    match = re.search(r"^loses:\s*(.+)$", case.read_text(encoding="utf-8"), re.MULTILINE)
    if not match:
        raise ValueError(f"{case} has no `loses:` line")
    words = match.group(1).split()
    return set() if words == ["nothing"] else set(words)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.stem}" for c in CASES])
def test_case_loses_exactly_its_sections(case, tmp_path, course):
    homework = case.parent.name
    submission = tmp_path / f"{homework}.py"
    submission.write_text(replace_chunks(solution_text(homework), case.read_text("utf-8")), "utf-8")
    report = grade(submission, course=course, seed=SEED, homeworks=[homework])
    losses = expected_losses(case)
    scores = {s.id: (s.score, s.max_points, s.reason) for s in report.homeworks[0].sections}
    wrong = {sid: v for sid, v in scores.items() if (v[0] < v[1]) != (sid in losses)}
    assert not wrong, f"expected to lose exactly {sorted(losses)}; got {wrong}"
    assert not report.errors, [t.message for t in report.errors]


def test_every_case_is_well_formed():
    for case in CASES:
        assert case.parent.name in {"hw1_basics", "hw2_regularization"}, case
        expected_losses(case)
