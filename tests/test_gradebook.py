"""The gradebook of a real course: the plan's columns, a roster, the exam and final marks."""

import csv
import io
from pathlib import Path

import pytest

from torchgrade import gradebook
from torchgrade.batch import discover, student_id
from torchgrade.gradebook import Extras, final_mark
from torchgrade.results import (
    BatchEntry,
    Flag,
    GradeReport,
    HomeworkResult,
    SectionResult,
    TestResult,
)
from torchgrade.roster import RosterError, load_exam, load_roster


@pytest.mark.parametrize(("total", "mark"), [(115, 12), (114, 11), (105, 11), (104, 10), (0, 0)])
def test_final_mark_follows_the_course_plan(total, mark):
    assert final_mark(total, 10) == mark


def _entry(course, student: str, scores: dict[str, float], status: str = "graded") -> BatchEntry:
    """A saved result in which every section of every shipped assignment scores as given."""
    results = []
    for assignment in course.homeworks:
        sections = []
        for section in assignment.sections:
            got = section.points * scores.get(assignment.id, 1.0)
            test = TestResult(
                id=f"t::{section.id}",
                name="t",
                section=section.id,
                points=section.points,
                score=got,
                outcome="passed" if got == section.points else "failed",
                message="" if got == section.points else "wrong",
            )
            sections.append(SectionResult(section.id, section.title, section.points, [test]))
        results.append(HomeworkResult(assignment.id, assignment.title, "nb", sections))
    report = GradeReport("sub", 7, results, {}, "now", 1.0, "v")
    return BatchEntry(student, [f"{student}.ipynb"], "f", status, report=report)


def _read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_columns_follow_the_plan_with_points_possible(course):
    rows = _read(gradebook.render([_entry(course, "alice", {})], course))
    header = list(rows[0])
    labels = [a.label for a in course.plan]
    assert [h for h in header if h in labels] == labels  # HW1..HW6, then the seminars
    tail = ["homework", "exam", "total", "mark", "flags", "reason", "seed", "sources"]
    assert header[-8:] == tail
    possible = rows[0]
    assert possible["student"] == "Points Possible"
    assert [possible[f"HW{n}"] for n in range(1, 7)] == ["15", "10", "15", "15", "10", "10"]
    assert (possible["homework"], possible["exam"], possible["total"]) == ("75", "40", "115")
    assert possible["mark"] == "12"
    alice = rows[1]
    for planned in course.planned:
        assert alice[planned.label] == ""  # not shipped: an empty column
    assert alice["HW1"] == "15" and alice["S4"] == "10"
    counted = sum(a.points for a in course.homeworks if a.kind == "homework")
    assert alice["homework"] == f"{counted:g}", "a seminar never counts toward the mark"


def test_exam_is_merged_and_a_missing_one_is_counted_as_zero_and_flagged(course, tmp_path):
    exam_file = tmp_path / "exam.csv"
    exam_file.write_text("student,exam\nalice,40\nbob,\n", encoding="utf-8")
    exam = load_exam(exam_file, course.exam_points)
    entries = [_entry(course, "alice", {}), _entry(course, "bob", {})]
    text = gradebook.render(entries, course, extras=Extras(exam=exam))
    rows = {r["student"]: r for r in _read(text)}
    alice, bob = rows["alice"], rows["bob"]
    hw = sum(a.points for a in course.homeworks if a.counts)  # everyone has full marks here
    assert (alice["exam"], alice["total"], alice["flags"]) == ("40", f"{hw + 40:g}", "")
    assert alice["mark"] == str(final_mark(hw + 40, 10))
    assert (bob["exam"], bob["total"], bob["mark"]) == ("", f"{hw:g}", str(final_mark(hw, 10)))
    assert bob["flags"] == "exam missing: counted as 0"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,points\nalice,3\n", "'student'"),
        ("student,exam\nalice,lots\n", "not a number"),
        ("student,exam\nalice,41\n", "outside 0..40"),
    ],
)
def test_a_bad_exam_file_is_refused_with_its_line(course, tmp_path, text, message):
    path = tmp_path / "exam.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RosterError, match=message):
        load_exam(path, course.exam_points)


def test_roster_maps_lms_names_and_lists_who_did_not_submit(course, tmp_path):
    roster_file = tmp_path / "roster.csv"
    roster_file.write_text(
        "\ufeffid,name,email,github\n"
        "1001,Alice Smith,alice@uni.edu,alice-gh\n"
        "1002,Bob Stone,bob@uni.edu,\n"
        "1003,Carol Dane,carol@uni.edu,\n",
        encoding="utf-8",
    )
    extras = Extras(roster=load_roster(roster_file))
    entries = [_entry(course, "smithalice", {}), _entry(course, "mallory", {})]
    rows = {r["student"]: r for r in _read(gradebook.render(entries, course, extras=extras))}
    assert rows["1001"]["name"] == "Alice Smith" and rows["1001"]["HW1"] == "15"
    assert rows["1002"]["status"] == "missing" and "no submission" in rows["1002"]["flags"]
    assert "not in the roster" in rows["mallory"]["flags"]
    assert extras.unmatched == ["mallory"]


def test_lms_file_names_belong_to_their_students(course, tmp_path):
    names = {
        "smithalice_LATE_12345_678910_hw1_basics-1.ipynb": "smithalice",
        "smithalice_12345_678911_hw1_basics.ipynb": "smithalice",
        "Bob Stone_4242_assignsubmission_file_hw1_basics.ipynb": "Bob Stone",
        "alice_hw1_basics (1).ipynb": "alice",
        "hw1_basics_ivan.petrov.ipynb": "ivan.petrov",
    }
    for name, student in names.items():
        assert student_id(Path(name), course) == student, name
    classroom = tmp_path / "classroom"
    for user in ("alice", "bob-jones"):
        (classroom / f"hw1-basics-{user}").mkdir(parents=True)
    items, _ = discover([classroom], course)
    assert [i.student for i in items] == ["alice", "bob-jones"]


def test_cells_that_would_start_a_formula_are_neutralised(course):
    entry = _entry(course, '=HYPERLINK("http://x")', {})
    entry.sources = ["+cmd|' /C calc'!A0_hw1_basics.py"]
    text = gradebook.render([entry], course)
    row = _read(text)[1]
    assert row["student"].startswith("'=") and row["sources"].startswith("'+")


@pytest.mark.parametrize(
    "name",
    [
        '=HYPERLINK("http://x","open")_hw1_basics.py',
        ' =HYPERLINK("http://x")_hw1_basics.py',  # an importer may strip the space
        "\uff1dHYPERLINK(1)_hw1_basics.py",  # full-width equals sign
        "@SUM(1)_hw1_basics.py",
        "\n=1+1_hw1_basics.py",
    ],
)
def test_a_file_name_that_starts_a_formula_is_text_in_every_cell(course, name):
    """The student id and the sources both come from the submitted file's name."""
    entry = _entry(course, name.removesuffix("_hw1_basics.py"), {})
    entry.sources = [name, "other.py"]
    row = _read(gradebook.render([entry], course))[1]
    for column in ("student", "sources"):
        assert row[column].startswith("'"), (column, row[column])


def test_the_gradebook_command_merges_the_exam_without_regrading(course, tmp_path, capsys):
    import json

    from torchgrade.cli import main

    reports = tmp_path / "book_reports"
    reports.mkdir()
    for student in ("alice", "bob"):
        data = _entry(course, student, {}).to_dict()
        (reports / f"{student}.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "exam.csv").write_text("student,exam\nalice,35\n", encoding="utf-8")
    book = tmp_path / "book.csv"
    code = main(["gradebook", "--csv", str(book), "--exam", str(tmp_path / "exam.csv")])
    assert code == 0, capsys.readouterr().err
    rows = {r["student"]: r for r in _read(book.read_text(encoding="utf-8"))}
    hw = sum(a.points for a in course.homeworks if a.counts)
    assert (rows["alice"]["exam"], rows["alice"]["mark"]) == ("35", str(final_mark(hw + 35, 10)))
    assert rows["bob"]["flags"] == "exam missing: counted as 0"
    (tmp_path / "bad.csv").write_text("student,exam\nalice,99\n", encoding="utf-8")
    assert main(["gradebook", "--csv", str(book), "--exam", str(tmp_path / "bad.csv")]) == 2
    assert "outside 0..40" in capsys.readouterr().err


def test_integrity_flags_reach_the_flags_column_and_never_the_score(course, tmp_path):
    flagged, clean = _entry(course, "mallory", {}), _entry(course, "alice", {})
    evidence = "`ctypes` (hw1_basics.py, line 3)"
    flagged.report.homeworks[0].flags.append(Flag("static", "ctypes", evidence))
    # Through the saved per-student JSON, as a batch stores it.
    saved = BatchEntry.from_dict(flagged.to_dict())
    rows = {r["student"]: r for r in _read(gradebook.render([saved, clean], course))}
    assert rows["mallory"]["flags"].startswith("integrity: hw1_basics: ctypes (static): ")
    assert evidence in rows["mallory"]["flags"]
    assert "integrity" not in rows["alice"]["flags"]
    assert rows["mallory"]["total"] == rows["alice"]["total"]
    assert rows["mallory"]["reason"] == rows["alice"]["reason"]
