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


OUT_OF_TIME = "ran out of time"  # how every time limit's message begins (reports look for it)


class OutOfTime(WorkerFailure):
    """The worker used up its test's CPU time, or reached the wall-clock backstop.

    ``backstop``: it was stopped by the wall clock with CPU time to spare (a loaded machine,
    or code that waits rather than computes); such a test earns one retry in a fresh worker.
    ``calls``: what the test had called when time ran out (set by :mod:`torchgrade.remote`),
    the call in flight first; the exercises they name are the ones to blame.
    """

    def __init__(self, message: str, *, backstop: bool):
        super().__init__(message)
        self.backstop = backstop
        self.calls: list[str] = []


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
    namespaces: str = ""  # whether each submission had its own (mount, pid, IPC, /tmp)
    memory: str = ""  # how the submission's total memory was bounded
    hidden: list[str] = field(default_factory=list)
    limits: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


class Output(Protocol):
    """What a worker printed, readable once it has ended (or up to a mark taken earlier)."""

    def mark(self) -> int: ...

    def text(self, wait: float = 1.0, start: int = 0, end: int | None = None) -> str: ...


class Channel(Protocol):
    """The trusted end of one worker, as the remote proxies and the pytest plugin use it.

    :class:`torchgrade.sandbox.lifecycle.Worker` (a sandboxed process) and
    :class:`torchgrade.sandbox.inprocess.InProcessWorker` (``--no-sandbox``) implement it.
    """

    output: Output
    status: str | None

    def start_clock(self, seconds: float) -> None:
        """Every request from now on shares ``seconds`` of CPU time (a wall-clock backstop
        several times larger bounds a worker that waits)."""

    def fits(self, seconds: float) -> bool:
        """Whether the worker can serve one more test of ``seconds`` CPU seconds."""

    def request(self, header: dict, buffers: list = ()) -> tuple[dict, list[bytes]]:
        """One request and its answer; raises :class:`WorkerFailure` when the worker fails."""

    def close(self, grace: float | None = None) -> str:
        """End the worker; says how it ended."""
