"""A result for CI and LMS reporters when ``grader grade`` wrote none (exit 2, not graded).

When nothing can be graded (an unreadable notebook, no homework in the upload, a grader
error), ``grader grade`` writes no report: it prints one ``error:`` line on stderr (wrapped by
the console at its width) and exits 2. A reporter that waits for a result would then crash
with a message no student understands. The CI templates run this module instead::

    python -m torchgrade.report.not_graded github LOG --status 2 --max-score 15
    python -m torchgrade.report.not_graded gradescope LOG --status 2 --output results.json

``LOG`` is what the grader printed. ``github`` appends the step output ``result`` (a zero
score, the reason as the test's message) and a job summary where GitHub Actions asks for
them; ``gradescope`` writes a ``results.json`` with score 0 and the reason, visible at once.
"""

import argparse
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from torchgrade.report import feedback, github, gradescope

# The lines cli.main starts an error with: a user's problem, or a bug of the grader.
_ERROR_LINE = re.compile(r"^(grader error|error):\s*", re.IGNORECASE)


def reason(log: str, status: int | None = None) -> str:
    """Why the grader graded nothing, from what it printed: its last error, unwrapped.

    The console wraps a long message over several lines, so the error runs from its
    ``error:`` line to the end of the log, rejoined into one line. Without an error line (the
    grader was killed, say) the reason names the exit status instead of quoting raw output.
    """
    lines = feedback.clean(log).splitlines()
    starts = [i for i, line in enumerate(lines) if _ERROR_LINE.match(line)]
    if not starts:
        how = f" (exit status {status})" if status is not None else ""
        return f"the grader stopped{how} before it could write a report"
    first = starts[-1]
    text = " ".join(line.strip() for line in lines[first:] if line.strip())
    return _ERROR_LINE.sub("", text, count=1).strip() or "the grader gave no reason"


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m torchgrade.report.not_graded",
        description="Write a zero-score result saying why a submission was not graded.",
    )
    parser.add_argument("format", choices=["github", "gradescope"])
    parser.add_argument("log", type=Path, help="what `grader grade` printed (stderr at least)")
    parser.add_argument("--status", type=int, help="the grader's exit status")
    parser.add_argument("--max-score", type=float, default=0.0, help="the assignment's points")
    parser.add_argument("--output", type=Path, help="gradescope: the results.json to write")
    args = parser.parse_args(argv)
    log = args.log.read_text(encoding="utf-8", errors="replace") if args.log.is_file() else ""
    why = reason(log, args.status)
    if args.format == "github":
        github.publish_not_graded(why, args.max_score, os.environ if environ is None else environ)
    else:
        if args.output is None:
            parser.error("gradescope needs --output")
        args.output.write_text(gradescope.render_not_graded(why), encoding="utf-8")
    print(f"not graded: {why}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
