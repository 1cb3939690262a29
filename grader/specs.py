"""The plain types that grading and its sandbox share: what to load, what came of it, failures.

Trusted side: these are values the grader builds or fills in after checking what a sandbox
process sent. The module imports nothing of the grader but its error family
(:mod:`torchgrade.errors`), so every layer (submission loader, rules, remote proxies, the sandbox
itself) can use them without importing the process manager.
"""

from dataclasses import asdict, dataclass, field
from typing import Protocol

from torchgrade.errors import GraderError


class SandboxError(GraderError, RuntimeError):
    """The worker template could not be started or kept alive."""


class SandboxTimeout(SandboxError):
    """A sandbox process did not answer in time (it may still be running)."""


class WorkerFailure(Exception):
    """The worker died, hung, exceeded a limit or broke the protocol; the message says which."""


@dataclass
class CellSpec:
    """One cell to execute in the template: its key (exercise name or ``imports``)."""

    key: str
    source: str
    filename: str
    line: int = 1


@dataclass
class ModuleSpec:
    """One homework module to build in the template from its cells."""

    name: str
    cells: list[CellSpec]
    expect: list[str]


@dataclass
class LoadResult:
    """What happened while the template executed the cells, per module."""

    errors: dict[str, dict[str, dict]]  # module -> cell key -> {type, message, traceback}
    missing: dict[str, list[str]]  # module -> names the cells did not define
    output: str = ""  # what the cells printed (capped)


@dataclass
class Isolation:
    """How the submission's code was isolated: printed in every report."""

    method: str  # "bubblewrap", "process" or "none"
    network: str = "shared"
    user: str = ""
    hidden: list[str] = field(default_factory=list)
    limits: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


class Output(Protocol):
    """What a worker printed, readable once it has ended."""

    def text(self, wait: float = 1.0) -> str: ...


class Channel(Protocol):
    """The trusted end of one worker, as the remote proxies and the pytest plugin use it.

    :class:`torchgrade.sandbox.lifecycle.Worker` (a sandboxed process) and
    :class:`torchgrade.sandbox.inprocess.InProcessWorker` (``--no-sandbox``) implement it.
    """

    output: Output
    status: str | None

    def start_clock(self, seconds: float) -> None:
        """Every request from now on must be answered within ``seconds`` in total."""

    def request(self, header: dict, buffers: list = ()) -> tuple[dict, list[bytes]]:
        """One request and its answer; raises :class:`WorkerFailure` when the worker fails."""

    def close(self, grace: float | None = None) -> str:
        """End the worker; says how it ended."""
