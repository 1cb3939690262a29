"""The grader's own errors and the exit codes every command ends with, defined once.

Trusted side; imports nothing of the grader. Every error a user can cause (a bad path, a
malformed course table, an unreadable roster, no sandbox) is a :class:`GraderError` whose
message is written for that user; the command line prints it and exits with its
``exit_code``. Anything else that escapes is a bug of the grader and is shown as one.
"""

from enum import IntEnum


class ExitCode(IntEnum):
    """What a command's exit status means (the README and docs/reports.md list them)."""

    FULL = 0  # graded, full marks; or: the command did what it was asked
    LOST = 1  # graded with points lost; or: a check or leak scan found problems
    NOT_GRADED = 2  # nothing graded: unreadable input, bad arguments, a grader error
    BATCH_INCOMPLETE = 3  # the gradebook is written, but some submissions were not graded
    INTERRUPTED = 130  # Ctrl-C


class GraderError(Exception):
    """A problem the user can fix; the message says what and where."""

    exit_code: ExitCode = ExitCode.NOT_GRADED
