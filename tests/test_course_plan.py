"""The course table models the course plan: homeworks, seminars, planned ones, exam, marks."""

import pytest

from torchgrade.course import CourseError, load_course


def test_the_plan_has_six_homeworks_an_exam_and_seminars(course):
    homeworks = [a for a in course.plan if a.kind == "homework"]
    assert [a.label for a in homeworks] == ["HW1", "HW2", "HW3", "HW4", "HW5", "HW6"]
    assert [a.points for a in homeworks] == [15, 10, 15, 15, 10, 10]
    assert all(a.counts for a in homeworks)
    seminars = [a for a in course.plan if a.kind == "seminar"]
    assert seminars and not any(a.counts for a in seminars)
    assert course.exam_points == 40 and course.max_total == 115 and course.mark_divisor == 10
    assert course.homework("sem4_regularization").label == "S4"


def test_a_planned_assignment_cannot_be_graded(course):
    planned = [a.id for a in course.planned]
    if not planned:
        pytest.skip("every assignment of the plan is shipped")
    with pytest.raises(CourseError, match="planned but not shipped"):
        course.homework(planned[0])


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[[homework]]\nid = "hw1_x"\n', "unknown table"),
        ('[[assignment]]\nid = "hw1_x"\nkind = "lab"\ntitle = "t"\n', "kind must be"),
        ('[[assignment]]\nid = "lab1_x"\ntitle = "t"\nsection = []\n', "hw<number>_<name>"),
        (
            '[[assignment]]\nid = "sem2_x"\nkind = "seminar"\ntitle = "t"\n'
            '[[assignment.section]]\nid = "2.1"\ntitle = "s"\npoints = 1\nexercises = ["f"]\n',
            "must start with 'S2.'",
        ),
        (
            '[[assignment]]\nid = "hw3_x"\nstatus = "planned"\ntitle = "t"\npoints = 5\n'
            '[[assignment]]\nid = "hw3_y"\nstatus = "planned"\ntitle = "u"\npoints = 5\n',
            "duplicate assignment number",
        ),
    ],
)
def test_malformed_tables_say_what_is_wrong(tmp_path, table, message):
    path = tmp_path / "course.toml"
    path.write_text(table, encoding="utf-8")
    with pytest.raises(CourseError, match=message):
        load_course(path)


def test_the_curriculum_page_lists_every_assignment_and_section(course):
    page = (course.root / "docs" / "curriculum.md").read_text(encoding="utf-8")
    for assignment in course.plan:
        assert f"`{assignment.id}`" in page, assignment.id
        for section in getattr(assignment, "sections", ()):
            assert f"| {section.id} {section.title} | {section.points:g} |" in page, section.id


def test_the_project_stands_alone(course):
    """No file of the project points to the lecture notes' folder outside it."""
    outside = "../" + "shared"
    for path in course.root.rglob("*"):
        if {".git", ".venv", "__pycache__"} & set(path.parts) or not path.is_file():
            continue
        if path.suffix in {".py", ".md", ".toml", ".ipynb", ".yml", ".txt", ".json", ".cfg"}:
            assert outside not in path.read_text(encoding="utf-8", errors="replace"), path
