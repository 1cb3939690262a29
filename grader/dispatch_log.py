"""What the workers' dispatch recorders reported during one suite run, judged on the trusted side.

Trusted side: the plugin asks each test's worker which forbidden torch ops the exercises it
watched dispatched (:mod:`torchgrade.worker.dispatch`) and what looked tampered with. The answer is
the student's process's word: it is read as size-capped JSON, every field is checked, and an
op counts only if its name matches, here, one of the exercise's own patterns in the course
table — a worker can hide an op, never pin one on an exercise that did not break its rule.

A forbidden op observed at run time costs the same as the static rule (:mod:`torchgrade.rules`):
every test that touched the exercise fails with the reason. Tampering becomes an
instructor-only :class:`~torchgrade.results.Flag`, never a lost point by itself.
"""

import json
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from torchgrade.course import Homework
from torchgrade.protocol import DataOp, data_request
from torchgrade.results import Flag, TestResult
from torchgrade.specs import Channel, WorkerFailure

MAX_RECORD_CHARS = 64_000  # the recorder's answer, as JSON text
MAX_FIELD = 300
READ_TIMEOUT_S = 5.0  # for the one request that reads the record after a test


@dataclass
class DispatchLog:
    """Forbidden ops and tampering notes gathered from every test of one homework's run."""

    homework: Homework
    forbidden: dict[str, str] = field(default_factory=dict)  # exercise -> reason
    flags: list[Flag] = field(default_factory=list)
    touched: dict[str, set[str]] = field(default_factory=dict)  # nodeid -> exercises
    unread: dict[str, str] = field(default_factory=dict)  # nodeid -> why no record came

    def rules_for(self, section: str | None) -> dict[str, dict[str, list[str]]]:
        """The ``watch`` request's rules: the forbidden patterns of this section's exercises.

        Every exercise is exercised by its own section's tests, so watching those finds any
        forbidden op it dispatches, and the tests of other sections run without the recorder's
        overhead; :meth:`apply` then costs every test that touched the exercise.
        """
        rules = {
            name: list(patterns)
            for s in self.homework.sections
            if s.id == section
            for name, patterns in s.forbid.items()
        }
        return {self.homework.id: rules} if rules else {}

    def read(self, nodeid: str, worker: Channel, touched: set[str]) -> None:
        """Ask the test's worker for its record (after the test) and judge what comes back."""
        self.touched[nodeid] = set(touched)
        try:
            worker.start_clock(READ_TIMEOUT_S)
            answer, _ = worker.request(data_request(DataOp.DISPATCH))
        except (WorkerFailure, OSError) as exc:  # ended, timed out, or its socket is gone
            self.unread[nodeid] = str(exc)[:MAX_FIELD]
            return
        problem = self._take(answer)
        if problem:
            self.flag(f"the worker's dispatch record {problem} (test {nodeid})")

    def flag(self, evidence: str) -> None:
        flag = Flag("runtime", "dispatch recorder", evidence[: 2 * MAX_FIELD])
        if flag not in self.flags:
            self.flags.append(flag)

    def _take(self, answer: dict) -> str:
        """Keep what a well-formed record says; return what was wrong with it, or ``""``."""
        value = answer.get("value") if isinstance(answer, dict) else None
        if not isinstance(answer, dict) or answer.get("ok") is not True:
            return "could not be read: the worker's own request failed"
        if not isinstance(value, str) or len(value) > MAX_RECORD_CHARS:
            return "was not a short JSON text"
        try:
            record = json.loads(value)
        except (ValueError, RecursionError):
            return "was not valid JSON"
        if not isinstance(record, dict):
            return "was not an object"
        forbidden, tampering = record.get("forbidden"), record.get("tampering")
        if not isinstance(forbidden, list) or not isinstance(tampering, list):
            return "lacked its lists"
        for note in tampering[:20]:
            if isinstance(note, str):
                self.flag(f"the worker reports: {note[:MAX_FIELD]}")
        for item in forbidden[:20]:
            if isinstance(item, dict):
                self._forbidden(item)
        return ""

    def _forbidden(self, item: dict) -> None:
        module, exercise = item.get("module"), item.get("exercise")
        op, where = item.get("op"), item.get("where", "")
        if module != self.homework.id or not isinstance(exercise, str):
            return
        if not isinstance(op, str) or not isinstance(where, str) or exercise in self.forbidden:
            return
        section = next((s for s in self.homework.sections if exercise in s.forbid), None)
        patterns = section.forbid[exercise] if section else ()
        pattern = next((p for p in patterns if fnmatchcase(op, p)), None)
        if pattern is None:
            return  # not a name this exercise forbids: the worker's word alone counts for nothing
        at = f" ({where[:MAX_FIELD]})" if where else ""
        self.forbidden[exercise] = (
            f"{exercise} called `{op[:MAX_FIELD]}`{at} while it ran, which this exercise "
            f"forbids (rule `{pattern}`), through code the rules cannot read "
            "(a name held in data, a helper object): write it yourself"
        )

    def apply(self, results: dict[str, TestResult]) -> dict[str, str]:
        """Fail every test that touched an exercise seen dispatching a forbidden op; flag a
        passed test whose worker's record could not be read. Returns exercise -> reason."""
        for nodeid, result in results.items():
            touched = sorted(self.touched.get(nodeid, ()))
            lost = [self.forbidden[e] for e in touched if e in self.forbidden]
            if lost and result.outcome != "error":
                result.score = 0.0
                result.outcome = "failed"
                result.message = "\n".join([lost[0], result.message]).strip()
            if nodeid in self.unread and result.outcome == "passed":
                self.flag(
                    f"test {nodeid} passed, but its worker ended before reporting what it "
                    f"dispatched ({self.unread[nodeid]})"
                )
        return dict(self.forbidden)
