"""The corpus: buggy, cheating and faulty submissions, each with the sections it must lose.

A case is a file ``tests/corpus/<homework>/<name>.py`` holding only the chunks it changes
(each opened by its marker line, the IMPORTS chunk included) and a docstring with:

- ``loses: 1.2 1.4`` — these sections score below their maximum (``loses: nothing``: none);
- ``scores: 1.3=0`` — these sections score exactly this (a pure cheat earns 0);
- ``test_timeout: 5``, ``import_timeout: 5`` — optional: shorter limits for a case that hangs;
- ``requires: bubblewrap`` — optional: the case needs the full sandbox (reading solutions).

The case is graded as the reference solution with those chunks swapped in. Every section not
named must keep full marks, so each case proves both that the suite catches the problem and
that it costs nothing else: a cheat earns nothing, a fault costs only its section.
"""

import dataclasses
import re
from pathlib import Path

import pytest
from helpers import need_bwrap, replace_chunks, solution_text

from torchgrade.course import load_course
from torchgrade.grading import grade

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(CORPUS.glob("*/*.py"))
SEED = 1


@dataclasses.dataclass
class Expectation:
    losses: set[str]
    exact: dict[str, float]
    limits: dict[str, float]
    requires: str | None


def expectation(case: Path) -> Expectation:
    text = case.read_text(encoding="utf-8")

    def field(name: str) -> str | None:
        match = re.search(rf"^{name}:\s*(.+)$", text, re.MULTILINE)
        return match.group(1).strip() if match else None

    losses, exact = field("loses"), field("scores")
    if losses is None and exact is None:
        raise ValueError(f"{case} has neither `loses:` nor `scores:`")
    words = (losses or "").split()
    pairs = dict(p.split("=") for p in (exact or "").split())
    limits = {
        f"{name}_s": float(field(name))
        for name in ("test_timeout", "import_timeout")
        if field(name)
    }
    return Expectation(
        set() if words == ["nothing"] else set(words),
        {k: float(v) for k, v in pairs.items()},
        limits,
        field("requires"),
    )


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.stem}" for c in CASES])
def test_case_costs_exactly_its_sections(case, tmp_path, course):
    homework = case.parent.name
    expected = expectation(case)
    if expected.requires == "bubblewrap":
        need_bwrap("without it a worker can read the solutions (SECURITY.md)")
    if expected.limits:
        limits = dataclasses.replace(course.limits, **expected.limits)
        course = dataclasses.replace(course, limits=limits)
    submission = tmp_path / f"{homework}.py"
    submission.write_text(replace_chunks(solution_text(homework), case.read_text("utf-8")), "utf-8")
    report = grade(submission, course=course, seed=SEED, homeworks=[homework])
    wrong = {}
    for s in report.homeworks[0].sections:
        if s.id in expected.exact:
            ok = s.score == expected.exact[s.id]
        else:
            ok = (s.score < s.max_points) == (s.id in expected.losses)
        if not ok:
            wrong[s.id] = f"{s.score:g}/{s.max_points:g}: {s.reason}"
    assert not wrong, f"{case.name}: unexpected section scores {wrong}"
    assert not report.errors, [f"{t.name}: {t.message}" for t in report.errors]


def test_every_case_is_well_formed():
    for case in CASES:
        assert case.parent.name in {a.id for a in load_course().homeworks}, case
        expectation(case)
