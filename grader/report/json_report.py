"""The JSON report: ``GradeReport.to_dict`` (see ``grader/schemas/report.schema.json``)."""

import json

from torchgrade.results import GradeReport


def render(report: GradeReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
