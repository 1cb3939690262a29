"""One source per assignment: the stubs in exercises/ are generated from solutions/."""

import pytest

from torchgrade import stubs

SOURCE = '''"""Homework 9 — demo: reference solutions.

What the homework is about.

Notes for the reference only.
"""

# IMPORTS — hw9_demo
import torch


# EXERCISE 9.1 — double
def double(x):
    """Twice ``x``: ``(n,) -> (n,)``."""
    # TODO(9.1): multiply by two.
    # BEGIN SOLUTION
    y = x * 2
    return y
    # END SOLUTION


# EXERCISE 9.2 — Box
class Box:
    def __init__(self):
        # TODO(9.2): nothing inside yet.
        # BEGIN SOLUTION
        self.items = []
        # END SOLUTION
'''


def test_every_committed_stub_is_generated_from_its_source_byte_for_byte(course):
    for assignment in course.homeworks:
        assert stubs.out_of_date(course, assignment.id) is None, assignment.id


def test_a_region_becomes_the_raise_named_after_its_marker():
    stub = stubs.make_stub(SOURCE)
    assert stub.startswith('"""Homework 9 — demo: your exercises.\n\nWhat the homework is about.')
    assert "Notes for the reference only" not in stub and "# EXERCISE 9.1 — ...``" in stub
    hint = "    # TODO(9.1): multiply by two.\n"
    assert hint + '    raise NotImplementedError("9.1: double")\n' in stub
    assert '        raise NotImplementedError("9.2: Box")\n' in stub
    assert "BEGIN SOLUTION" not in stub and "x * 2" not in stub and "self.items" not in stub
    compile(stub, "stub", "exec")


def test_the_solved_view_drops_only_the_marker_lines():
    solved = stubs.strip_markers(SOURCE)
    assert "SOLUTION" not in solved and "y = x * 2" in solved and "# TODO(9.1)" in solved


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("    # END SOLUTION\n\n\n# EXERCISE 9.2", "\n\n# EXERCISE 9.2"), "not closed"),
        (("# IMPORTS — hw9_demo\n", "# IMPORTS — hw9_demo\n# BEGIN SOLUTION\n"), "outside"),
        (("        # END SOLUTION\n", "        # END SOLUTION\n" * 2), "without"),
        ((": reference solutions.", ": solved."), "first line must end"),
    ],
)
def test_malformed_sources_say_where(change, message):
    with pytest.raises(stubs.StubError, match=message):
        stubs.make_stub(SOURCE.replace(*change))


def test_a_stale_stub_is_reported(course, tmp_path, monkeypatch):
    assignment = course.homeworks[0].id
    source, stub = stubs.stub_path(course, assignment)
    copy = tmp_path / "exercises" / stub.name
    copy.parent.mkdir()
    copy.write_text(stub.read_text(encoding="utf-8") + "# edited by hand\n", encoding="utf-8")
    monkeypatch.setattr(stubs, "stub_path", lambda *_: (source, copy))
    assert "out of date" in stubs.out_of_date(course, assignment)
