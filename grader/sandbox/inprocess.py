"""``--no-sandbox``: the submission runs inside the grader. For instructors' debugging only.

Trusted side in name only: this runs the worker side's own code (:mod:`torchgrade.worker.loader`,
:mod:`torchgrade.worker.server`) in the grader's process, so nothing is isolated or limited and a
submission can change its own score here. Reports say so ("NOT ISOLATED"). It has the same
interface as :class:`torchgrade.sandbox.lifecycle.Sandbox`, and requests still go through the
wire encoding, so values look exactly as a real worker's.
"""

import json
import os
from collections.abc import Callable
from dataclasses import asdict

from torchgrade.course import Limits
from torchgrade.specs import Isolation, LoadResult, ModuleSpec
from torchgrade.worker.loader import load_modules
from torchgrade.worker.server import Server, namespaces


class InProcessSandbox:
    """The in-process stand-in for :class:`~torchgrade.sandbox.lifecycle.Sandbox`."""

    def __init__(self, *, limits: Limits, **_: object):
        self.limits = limits
        self.isolation = Isolation(
            "none", network="shared", user=f"uid {os.getuid()}", limits=asdict(limits)
        )
        self.student_files: set[str] = set()
        self.pristine: dict[str, dict] = {}

    def __enter__(self) -> "InProcessSandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass

    def load(
        self, modules: list[ModuleSpec], on_cell: Callable[[str, str], None] | None = None
    ) -> LoadResult:
        errors, missing = load_modules(modules, self.student_files, on_cell or _ignore)
        self.pristine = namespaces([spec.name for spec in modules])
        return LoadResult(errors, missing)

    def spawn(self) -> "InProcessWorker":
        return InProcessWorker(Server(None, self.student_files, self.pristine))


class InProcessWorker:
    """A worker without a process: a :class:`~torchgrade.worker.server.Server` answers here.

    Implements :class:`torchgrade.specs.Channel`; no clock (nothing could interrupt a call).
    """

    def __init__(self, server: Server) -> None:
        self.server = server
        self.output = _NoOutput()
        self.status: str | None = None

    def start_clock(self, seconds: float) -> None:
        pass

    def fits(self, seconds: float) -> bool:
        return self.status is None

    def request(self, header: dict, buffers: list = ()) -> tuple[dict, list[bytes]]:
        # Through JSON and bytes, as on the wire, so values look exactly as a real worker's.
        reply, out = self.server.handle(json.loads(json.dumps(header)), [bytes(b) for b in buffers])
        return json.loads(json.dumps(reply)), [bytes(b) for b in out]

    def close(self, grace: float | None = None) -> str:
        self.status = self.status or "finished"
        return self.status


class _NoOutput:
    def mark(self) -> int:
        return 0

    def text(self, wait: float = 0.0, start: int = 0, end: int | None = None) -> str:
        return ""


def _ignore(module: str, key: str) -> None:
    pass
