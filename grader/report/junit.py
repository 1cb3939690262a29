"""JUnit XML: one ``<testcase>`` per hidden test, points as ``<property>`` elements.

JUnit XML has no single normative specification. We write the common subset that GitLab's
unit test reports, Jenkins' JUnit plugin and the Ant ``XMLJUnitResultFormatter`` agree on
(as catalogued by the ``testmoapp/junitxml`` reference): ``<testsuites>`` → one
``<testsuite>`` per homework (``name``, ``tests``, ``failures``, ``errors``, ``skipped``,
``time``, ``timestamp``, suite ``<properties>``) → ``<testcase name classname time>`` with
its own ``<properties>`` (``points``, ``score``, ``section``, ``visibility``), at most one
``<failure>`` (points lost) or ``<error>`` (a grader error), and ``<system-out>`` with what
the student's code printed. ``classname`` is ``<homework>.<section>`` so CI groups tests by
section. Text is the student feedback only (never the hidden test's traceback), with the
characters XML 1.0 cannot carry removed.
"""

import re
import xml.etree.ElementTree as ET

from torchgrade.report import feedback
from torchgrade.results import GradeReport, HomeworkResult, TestResult

# Characters that XML 1.0 forbids even when escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", feedback.clean(text))


def to_element(report: GradeReport) -> ET.Element:
    """``report`` as a ``<testsuites>`` element."""
    tests = [t for h in report.homeworks for t in h.tests]
    root = ET.Element(
        "testsuites",
        name="torchgrade",
        tests=str(len(tests)),
        failures=str(sum(t.outcome == "failed" for t in tests)),
        errors=str(sum(t.outcome == "error" for t in tests)),
        time=_seconds(report.duration_s),
    )
    for homework in report.homeworks:
        root.append(_suite(report, homework))
    return root


def _suite(report: GradeReport, homework: HomeworkResult) -> ET.Element:
    tests = homework.tests
    suite = ET.Element(
        "testsuite",
        name=homework.id,
        tests=str(len(tests)),
        failures=str(sum(t.outcome == "failed" for t in tests)),
        errors=str(sum(t.outcome == "error" for t in tests)),
        skipped="0",
        time=_seconds(sum(t.duration_s for t in tests)),
        # xs:dateTime without a zone, the form the Ant schema accepts.
        timestamp=report.started[:19],
    )
    _properties(
        suite,
        {
            "score": f"{homework.score:g}",
            "max_score": f"{homework.max_points:g}",
            "seed": str(report.seed),
            "public_only": str(report.public_only).lower(),
            "submission": report.submission,
            "origin": homework.origin,
            "grader_version": report.grader_version,
            "isolation": str(report.isolation.get("method", "")),
        },
    )
    for section in homework.sections:
        for test in section.tests:
            suite.append(_case(homework.id, test))
    notes = "\n".join(feedback.clean(n) for n in [*homework.notes, *report.notes])
    if notes:
        ET.SubElement(suite, "system-out").text = _xml_text(notes)
    return suite


def _case(homework_id: str, test: TestResult) -> ET.Element:
    case = ET.Element(
        "testcase",
        name=test.name,
        classname=f"{homework_id}.{test.section}",
        time=_seconds(test.duration_s),
    )
    _properties(
        case,
        {
            "points": f"{test.points:g}",
            "score": f"{test.score:g}",
            "section": test.section,
            "visibility": "public" if test.public else "hidden",
        },
    )
    if test.outcome != "passed":
        message = feedback.message(test)
        tag = "failure" if test.outcome == "failed" else "error"
        node = ET.SubElement(
            case,
            tag,
            message=_xml_text(message.splitlines()[0] if message else test.outcome),
            type="points lost" if tag == "failure" else "grader error",
        )
        node.text = _xml_text(feedback.shorten(message))
    output = feedback.student_output(test, max_lines=200)
    if output:
        ET.SubElement(case, "system-out").text = _xml_text(feedback.shorten(output))
    return case


def _properties(parent: ET.Element, values: dict[str, str]) -> None:
    props = ET.SubElement(parent, "properties")
    for name, value in values.items():
        ET.SubElement(props, "property", name=name, value=_xml_text(value))


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def render(report: GradeReport) -> str:
    root = to_element(report)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
