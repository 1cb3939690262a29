"""Report formats, each checked against its schema or parser, built from plain dataclasses."""

import base64
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from helpers import ROOT

from torchgrade.cli import main
from torchgrade.gradebook import final_mark
from torchgrade.report import FORMATS, github, gradescope, junit, render
from torchgrade.results import GradeReport, HomeworkResult, SectionResult, TestResult

SCHEMA = json.loads((ROOT / "grader" / "schemas" / "report.schema.json").read_text())
# The hidden test's own source line, as pytest's traceback (``details``) quotes it.
SECRET_LINE = "assert torch.allclose(got, ref.hw1_basics.bce_loss(X_secret, w, y), atol=1e-5)"
NASTY_OUTPUT = "\x1b[31mred\x1b[0m | <b>bold</b> ``` fence\x00\x07 and \ud7ff"

# Gradescope "Autograder Specifications", Output format: every key it defines, typed.
VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
TEXT_FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
GRADESCOPE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "anyOf": [{"required": ["score"]}, {"required": ["tests"]}],
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "output_format": TEXT_FORMAT,
        "test_output_format": TEXT_FORMAT,
        "test_name_format": TEXT_FORMAT,
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "status": {"enum": ["passed", "failed"]},
                    "name": {"type": "string"},
                    "name_format": TEXT_FORMAT,
                    "number": {"type": "string"},
                    "output": {"type": "string"},
                    "output_format": TEXT_FORMAT,
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "visibility": VISIBILITY,
                    "extra_data": {"type": "object"},
                },
            },
        },
        "leaderboard": {"type": "array"},
    },
}
# What autograding-grading-reporter@v1 reads from a runner result.
GITHUB_SCHEMA = {
    "type": "object",
    "required": ["version", "status", "max_score", "tests"],
    "properties": {
        "version": {"const": 1},
        "status": {"enum": ["pass", "fail", "error"]},
        "max_score": {"type": "number"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "status", "score"],
                "not": {"required": ["test_code"]},
                "properties": {
                    "name": {"type": "string"},
                    "status": {"enum": ["pass", "fail", "error"]},
                    "message": {"type": ["string", "null"]},
                    "line_no": {"type": "integer"},
                    "execution_time": {"type": "string", "pattern": "^[0-9]+ms$"},
                    "score": {"type": "number"},
                },
            },
        },
    },
}


def _test(name, section, points, outcome, public=False, message="", output=""):
    return TestResult(
        id=f"test_{section}.py::{name}",
        name=name,
        section=section,
        points=points,
        score=points if outcome == "passed" else 0.0,
        outcome=outcome,
        message=message,
        output=output,
        duration_s=0.25,
        public=public,
        details="" if outcome == "passed" else f"def {name}(student):\n>       {SECRET_LINE}",
    )


def sample_report() -> GradeReport:
    """Two homeworks: passed, failed (public and hidden), a grader error, a broken section."""
    hw1 = HomeworkResult(
        id="hw1_basics",
        title="PyTorch basics",
        origin="hw1_basics.ipynb",
        sections=[
            SectionResult(
                "1.3",
                "LogisticRegression",
                2.0,
                tests=[
                    _test("test_logits_shape", "1.3", 0.5, "passed", public=True),
                    _test(
                        "test_logits_are_x_at_w",
                        "1.3",
                        1.5,
                        "failed",
                        message="LogisticRegression(4)(X) should be X @ w, X of shape (11, 4)",
                        output=NASTY_OUTPUT,
                    ),
                ],
            ),
            SectionResult(
                "1.4",
                "Sigmoid and BCE",
                3.0,
                tests=[
                    _test(
                        "test_bce_stable",
                        "1.4",
                        2.0,
                        "failed",
                        public=True,
                        message="hw1_basics.bce_loss(...) raised ValueError: bad | `shape`\n"
                        '  File "hw1_basics.ipynb, cell 9", line 3, in bce_loss\n'
                        "    raise ValueError('bad')",
                    ),
                    _test("test_grader_bug", "1.4", 1.0, "error", message="the grader could not"),
                ],
            ),
        ],
        notes=["cell 4: '# EXERCISE 1.3 LogisticRegression' looks like a marker but is not one"],
    )
    hw2 = HomeworkResult(
        id="sem4_regularization",
        title="Regularization",
        origin="hw2.py",
        sections=[
            SectionResult(
                "S4.1",
                "Dropout",
                3.0,
                tests=[_test("test_dropout", "S4.1", 3.0, "failed", message="no cell")],
                problems=["no cell starts with the marker line `# EXERCISE S4.1 — Dropout`"],
            )
        ],
    )
    return GradeReport(
        submission="alice.zip",
        seed=42,
        homeworks=[hw1, hw2],
        isolation={"method": "bubblewrap", "network": "isolated", "user": "uid 200001"},
        started="2026-01-01T12:00:00+00:00",
        duration_s=12.34,
        grader_version="0.1.0",
    )


@pytest.fixture
def report() -> GradeReport:
    return sample_report()


def test_every_format_is_registered_and_hides_the_hidden_tests_code(report):
    assert set(FORMATS) == {"table", "json", "gradescope", "junit", "github"}
    for fmt in FORMATS:
        text = render(report, fmt)
        assert SECRET_LINE not in text and "X_secret" not in text, fmt
        assert "should be X @ w" in text, fmt  # the feedback itself is there
    assert SECRET_LINE in json.dumps(report.to_dict(details=True))  # instructors only


def test_json_report_matches_its_schema_and_reads_back(report):
    data = report.to_dict()
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(data, SCHEMA)
    jsonschema.validate(report.to_dict(details=True), SCHEMA)
    assert GradeReport.from_dict(json.loads(json.dumps(data))).to_dict() == data
    broken = json.loads(json.dumps(data))
    broken["homeworks"][0]["sections"][0]["tests"][0]["outcome"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_gradescope_results_follow_the_specification(report):
    results = json.loads(render(report, "gradescope"))
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    assert results["score"] == report.score == 0.5
    assert results["extra_data"]["max_score"] == 8
    tests = results["tests"]
    assert len(tests) == 5 and sum(t["score"] for t in tests) == results["score"]
    assert [t["number"] for t in tests] == ["1.3.1", "1.3.2", "1.4.1", "1.4.2", "S4.1.1"]
    by_name = {t["name"]: t for t in tests}
    assert by_name["1.3 logits shape"]["visibility"] == "visible"  # public
    assert by_name["1.3 logits are x at w"]["visibility"] == "after_published"  # hidden
    assert by_name["1.3 logits shape"]["status"] == "passed"
    failed = by_name["1.3 logits are x at w"]
    assert failed["status"] == "failed" and failed["max_score"] == 1.5
    assert "\x1b" not in failed["output"] and "\x00" not in failed["output"]
    assert "your output:" in failed["output"]
    assert "grader error" in by_name["1.4 grader bug"]["output"]
    assert results["output_format"] == results["test_output_format"] == "text"


def test_junit_xml_parses_and_matches_the_schema(report):
    text = render(report, "junit")
    root = ET.fromstring(text)
    assert root.tag == "testsuites" and root.get("tests") == "5"
    assert root.get("failures") == "3" and root.get("errors") == "1"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["hw1_basics", "sem4_regularization"]
    cases = root.findall(".//testcase")
    assert len(cases) == 5  # one per test
    props = {p.get("name"): p.get("value") for p in cases[1].find("properties")}
    assert props == {"points": "1.5", "score": "0", "section": "1.3", "visibility": "hidden"}
    assert cases[1].get("classname") == "hw1_basics.1.3"
    failure = cases[1].find("failure")
    assert failure.get("message").startswith("LogisticRegression(4)(X) should be X @ w")
    assert cases[0].find("failure") is None and cases[3].find("error") is not None
    assert "red" in cases[1].find("system-out").text and "\x1b" not in text
    xmlschema = pytest.importorskip("xmlschema")
    xmlschema.XMLSchema(str(Path(__file__).parent / "data" / "junit.xsd")).validate(text)


def test_github_result_decodes_as_the_classroom_reporter_reads_it(report):
    result = json.loads(base64.b64decode(github.encode(report)).decode("utf-8"))
    jsonschema.validate(result, GITHUB_SCHEMA)
    assert result == json.loads(render(report, "github"))
    # notify-classroom.js posts "Points <sum of test scores>/<max_score>".
    assert sum(t["score"] for t in result["tests"]) == report.score
    assert result["max_score"] == report.max_points == 8
    assert result["status"] == "error"  # a grader error in one test
    assert [t["status"] for t in result["tests"]] == ["pass", "fail", "fail", "error", "fail"]
    passing = github.to_result(_full_marks())
    assert passing["status"] == "pass" and passing["tests"][0]["message"] is None


def _full_marks() -> GradeReport:
    report = sample_report()
    report.homeworks = report.homeworks[:1]
    report.homeworks[0].sections = report.homeworks[0].sections[:1]
    report.homeworks[0].sections[0].max_points = 0.5
    report.homeworks[0].sections[0].tests = report.homeworks[0].sections[0].tests[:1]
    return report


def test_github_publish_sets_the_step_output_and_a_safe_summary(report, tmp_path):
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    env = {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
    assert github.publish(report, env) == [output, summary]
    key, _, value = output.read_text().strip().partition("=")
    assert key == "result" and json.loads(base64.b64decode(value))["max_score"] == 8
    markdown = summary.read_text()
    assert "| 1.3 | LogisticRegression | ⚠️ 0.5 / 2 |" in markdown
    assert "\x1b" not in markdown and "\x00" not in markdown
    # Student text is either in a code block it cannot close (a fence longer than its ```)...
    blocks = re.compile(r"^(`{3,})text\n.*?^\1$", re.MULTILINE | re.DOTALL)
    assert "````text\nLogisticRegression(4)(X)" in markdown
    assert any("<b>bold</b> ``` fence" in m.group(0) for m in blocks.finditer(markdown))
    # ... or escaped: no HTML, no column breaks in a table cell.
    outside = blocks.sub("", markdown)
    assert "<b>" not in outside and "<details>" in outside
    assert "bad | `shape`" not in outside
    assert github.publish(report, {}) == []


def test_report_command_renders_a_saved_report(report, tmp_path, capsys):
    saved = tmp_path / "report.json"
    saved.write_text(json.dumps(report.to_dict()))
    out = tmp_path / "results.json"
    assert main(["report", str(saved), "--format", "gradescope", "--output", str(out)]) == 2
    jsonschema.validate(json.loads(out.read_text()), GRADESCOPE_SCHEMA)
    entry = {"batch_schema_version": 1, "student": "bob", "status": "not graded", "report": None}
    saved.write_text(json.dumps({**entry, "reason": "broken zip"}))
    assert main(["report", str(saved)]) == 2
    assert "broken zip" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("total", "divisor", "mark"),
    [(0, 10, 0), (4.9, 10, 0), (5, 10, 1), (14.5, 10, 1), (15, 10, 2), (25, 10, 3), (3, 2, 2)],
)
def test_final_mark_rounds_half_up(total, divisor, mark):
    assert final_mark(total, divisor) == mark


def test_gradescope_and_junit_modules_render_what_render_dispatches(report):
    assert gradescope.render(report) == render(report, "gradescope")
    assert junit.render(report) == render(report, "junit")
