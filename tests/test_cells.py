"""Marker lines: parsing, and splitting a module into the cells of its notebook."""

from torchgrade.cells import (
    Marker,
    find_marker,
    join_chunks,
    near_marker,
    parse_marker,
    split_module,
)


def test_marker_variants_editors_produce():
    for line in (
        "# EXERCISE 1.3 — LogisticRegression",
        "#EXERCISE 1.3 - LogisticRegression",
        "# EXERCISE 1.3 – LogisticRegression  ",
        "# EXERCISE 1.3 -- LogisticRegression",
    ):
        assert parse_marker(line) == Marker("exercise", "LogisticRegression", "1.3")
    assert parse_marker("# IMPORTS — hw1_basics") == Marker("imports", "hw1_basics")
    assert parse_marker("# SELF-CHECK — hw1_basics") == Marker("self-check", "hw1_basics")
    assert parse_marker("# EXERCISE 1.3") is None


def test_find_marker_skips_leading_comments_only():
    assert (
        find_marker("\n# my note\n# EXERCISE 1.1 — load_moons\ndef f(): pass").name == "load_moons"
    )
    assert find_marker("x = 1\n# EXERCISE 1.1 — load_moons") is None


def test_near_marker_flags_typos():
    assert near_marker("# EXERCISE 1.3 LogisticRegression\n") == "# EXERCISE 1.3 LogisticRegression"
    assert near_marker("# EXERCISE 1.3 — LogisticRegression\n") is None


def test_split_and_join_roundtrip():
    text = (
        '"""doc"""\n\n# IMPORTS — hw\nimport torch\n\n\n'
        "# EXERCISE 1.1 — f\ndef f():\n    return 1\n"
    )
    header, chunks = split_module(text)
    assert header == '"""doc"""'
    assert [c.marker.name for c in chunks] == ["hw", "f"]
    assert chunks[1].first_line == 7 and chunks[1].source.endswith("return 1")
    again_header, again = split_module(join_chunks(chunks, header))
    assert again_header == header
    assert [(c.marker, c.source) for c in again] == [(c.marker, c.source) for c in chunks]
