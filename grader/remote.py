"""The trusted side of a worker: proxies on which hidden tests call the submission.

``student.hw1_basics.bce_loss(X, w, y)`` reads like plain Python, but ``student.hw1_basics``
is a :class:`RemoteModule`, ``.bce_loss`` a :class:`Handle`, and the call sends ``X, w, y``
to the worker as data and decodes the answer: a tensor built here from bytes, or another
handle. Objects never cross: a handle is an id the worker resolves.
"""

from typing import Any

from torchgrade.course import SuiteError
from torchgrade.framing import ProtocolError
from torchgrade.protocol import DataOp, Decoder, Encoder, check_handle, data_request
from torchgrade.specs import Channel, OutOfTime, WorkerFailure


class StudentError(Exception):
    """The submission raised an exception in the worker.

    Attributes:
        type_name: the exception's class name, e.g. ``"RuntimeError"``.
        message: its message.
        traceback: the student's own frames only, formatted.
        call: what the test called, e.g. ``"hw1_basics.bce_loss(...)"``.
    """

    def __init__(self, type_name: str, message: str, traceback: str = "", call: str = ""):
        self.type_name = type_name
        self.message = message
        self.traceback = traceback
        self.call = call
        super().__init__(self.feedback())

    def feedback(self) -> str:
        if self.type_name == "NotImplementedError":
            return (
                f"not implemented yet ({self.message})" if self.message else "not implemented yet"
            )
        if self.call.startswith("torchgrade.probes"):  # our helper choked on the student's object
            probe = self.call.removesuffix("(...)")
            return (
                f"the grader's probe {probe} could not use what your code returned or built "
                f"({self.type_name}: {self.message})"
            )
        where = f"{self.call} raised " if self.call else ""
        text = f"{where}{self.type_name}: {self.message}".rstrip(": ")
        return f"{text}\n{self.traceback.rstrip()}" if self.traceback.strip() else text


class ExerciseUnavailable(Exception):
    """The test touched an exercise that could not be graded (missing, broken, forbidden API)."""


class ExerciseOutOfTime(ExerciseUnavailable):
    """The test touched an exercise that ran out of time in an earlier test: not run again."""


class Handle:
    """An object that lives in the worker. Every operation is one round trip.

    Supports calls, attribute reads and writes, ``len``, ``[key]`` and iteration (the worker
    materialises ``list(obj)``). ``repr`` is local and never runs student code.
    """

    __slots__ = ("_id", "_label", "_mro", "_type", "_worker")

    def __init__(self, worker: Channel, info: dict, label: str):
        object.__setattr__(self, "_worker", worker)
        object.__setattr__(self, "_id", info["id"])
        object.__setattr__(self, "_type", info["type"])
        object.__setattr__(self, "_mro", tuple(info["mro"]))
        object.__setattr__(self, "_label", label)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # keep Python's and pytest's protocol probes local
        return _request(
            self._worker,
            data_request(DataOp.GETATTR, target=self._id, name=name),
            f"{self._label}.{name}",
        )

    def __setattr__(self, name: str, value: Any) -> None:
        _request(
            self._worker,
            data_request(DataOp.SETATTR, target=self._id, name=name),
            f"{self._label}.{name} = ...",
            value=value,
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _request(
            self._worker,
            data_request(DataOp.CALL, target=self._id),
            f"{self._label}(...)",
            args=list(args),
            kwargs=dict(kwargs),
        )

    def __getitem__(self, key: Any) -> Any:
        return _request(
            self._worker,
            data_request(DataOp.GETITEM, target=self._id),
            f"{self._label}[...]",
            key=key,
        )

    def __len__(self) -> int:
        n = _request(self._worker, data_request(DataOp.LEN, target=self._id), f"len({self._label})")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise WorkerFailure(f"len({self._label}) did not return a length")
        return n

    def __iter__(self):
        items = _request(
            self._worker, data_request(DataOp.LIST, target=self._id), f"list({self._label})"
        )
        if not isinstance(items, list):
            raise WorkerFailure(f"list({self._label}) did not return a list")
        return iter(items)

    def __bool__(self) -> bool:
        return True  # never a hidden remote len() call from an `if handle:`

    def __repr__(self) -> str:
        return f"<{self._type} in the worker: {self._label}>"


class RemoteModule(Handle):
    """A homework module in the worker; names with a known problem raise before any call.

    ``out_of_time``: exercises that ran out of time in an earlier test, and why; a test
    that touches one fails at once instead of waiting out its time again. ``touched``
    collects every name a test read from it: the exercises the test depends on.
    """

    __slots__ = ("_out_of_time", "_problems", "_touched")

    def __init__(
        self,
        worker: Channel,
        info: dict,
        label: str,
        problems: dict[str, str],
        out_of_time: dict[str, str] | None = None,
        touched: set[str] | None = None,
    ):
        super().__init__(worker, info, label)
        object.__setattr__(self, "_problems", problems)
        object.__setattr__(self, "_out_of_time", {} if out_of_time is None else out_of_time)
        object.__setattr__(self, "_touched", set() if touched is None else touched)

    def __getattr__(self, name: str) -> Any:
        self._touched.add(name)
        if name in self._problems:
            raise ExerciseUnavailable(self._problems[name])
        if name in self._out_of_time:
            raise ExerciseOutOfTime(self._out_of_time[name])
        return super().__getattr__(name)


class Withholding:
    """A :class:`Channel` that refuses to send the test's data seed to the worker.

    The data seed, and numbers within ``reach`` of it (``seed + 1``), must never cross
    (:mod:`torchgrade.seeds`): a hidden test that sends one would let a submission rebuild
    its held-out data. Such a request is refused before it leaves, as a suite bug
    (:class:`~torchgrade.course.SuiteError`: the grader's fault, never the student's), so the
    corpus catches the mistake when a suite is written. Only numbers outside the tensors are
    looked at (a seed does not travel inside data), and not the request's own ids.
    """

    _CONTROL = frozenset({"op", "target", "name"})

    def __init__(self, channel: Channel, seed: int, reach: int = 16):
        self._channel = channel
        self._withheld = frozenset(range(seed - reach, seed + reach + 1))

    def request(self, header: dict, buffers: list = ()) -> tuple[dict, list[bytes]]:
        values = [v for k, v in header.items() if k not in self._CONTROL]
        if self._mentions(values):
            raise SuiteError(
                "this hidden test sent its data seed to the worker (see torchgrade.seeds); "
                "pass the worker_seed fixture instead"
            )
        return self._channel.request(header, buffers)

    def _mentions(self, value: Any, depth: int = 0) -> bool:
        if isinstance(value, bool) or depth > 64:
            return False
        if isinstance(value, int):
            return value in self._withheld
        if isinstance(value, float):
            return value.is_integer() and int(value) in self._withheld
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            return any(self._mentions(v, depth + 1) for v in value)
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._channel, name)  # output, status, start_clock, close


class WriteWatch:
    """A :class:`Channel` that notes whether the test changed the submission from the grader's
    side: set an attribute of anything in the worker, or handed a homework module to a call
    (the probes' ``use_trusted_*`` put trusted functions into the module they are given).

    The plugin reuses the worker of a passed test for the next test of its section only when
    this stayed ``False``: the worker's reset (``Server.op_reset``) is the worker's own word,
    and a submission that undid it must not keep a trusted function the grader put in.
    """

    def __init__(self, channel: Channel):
        self._channel = channel
        self.modules: set[int] = set()  # handle ids of the homework modules
        self.wrote = False

    def request(self, header: dict, buffers: list = ()) -> tuple[dict, list[bytes]]:
        if header.get("op") == DataOp.SETATTR.value or self._refers(
            [header.get("args"), header.get("kwargs")]
        ):
            self.wrote = True
        return self._channel.request(header, buffers)

    def _refers(self, value: Any, depth: int = 0) -> bool:
        if depth > 64:
            return True  # deeper than the encoder nests: assume the worst
        if isinstance(value, dict):
            if value.get("t") == "handle" and value.get("id") in self.modules:
                return True
            value = list(value.values())
        if isinstance(value, list):
            return any(self._refers(v, depth + 1) for v in value)
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._channel, name)  # output, status, start_clock, close


class StudentProxy:
    """The ``student`` fixture: the submission's modules and the worker's imports.

    ``student.hw1_basics`` is the homework module, ``student.probes`` the grader's helpers
    that run inside the worker, ``student.torch`` the worker's torch, and
    ``student.import_module(name)`` any other module there. ``out_of_time``: module ->
    exercise -> why it is not run again (it ran out of time in an earlier test).
    ``wrote``: whether the test changed the submission from the grader's side (WriteWatch).
    """

    def __init__(
        self,
        worker: Channel,
        homeworks: set[str],
        problems: dict[str, dict[str, str]],
        out_of_time: dict[str, dict[str, str]] | None = None,
    ):
        self._worker = WriteWatch(worker)
        self._homeworks = homeworks
        self._problems = problems
        self._out_of_time = out_of_time or {}
        self._cache: dict[str, Handle] = {}
        self.touched: set[str] = set()  # names the test read from the homework modules

    def import_module(self, name: str) -> Handle:
        if name not in self._cache:
            info = _request(
                self._worker, data_request(DataOp.MODULE, name=name), name, raw_handle=True
            )
            if name in self._homeworks:
                self._worker.modules.add(info["id"])
                self._cache[name] = RemoteModule(
                    self._worker,
                    info,
                    name,
                    self._problems.get(name, {}),
                    self._out_of_time.setdefault(name, {}),
                    self.touched,
                )
            else:
                self._cache[name] = Handle(self._worker, info, name)
        return self._cache[name]

    @property
    def wrote(self) -> bool:
        return self._worker.wrote

    @property
    def probes(self) -> Handle:
        return self.import_module("torchgrade.probes")

    @property
    def torch(self) -> Handle:
        return self.import_module("torch")

    def __getattr__(self, name: str) -> Handle:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._homeworks:
            raise ExerciseUnavailable(f"the submission has no module {name}")
        return self.import_module(name)


def type_mro(value: Any) -> tuple[str, ...]:
    """The qualified names of a handle's class and its bases, as the worker reported them."""
    return value._mro if isinstance(value, Handle) else ()


def _request(
    worker: Channel, header: dict, label: str, raw_handle: bool = False, **values: Any
) -> Any:
    """One round trip: encode ``values`` into ``header``, decode the answer or raise."""
    sent: list[str] = []  # the labels of the handles sent along: blamed if time runs out
    encoder = Encoder(lambda v: _send_handle(v, worker, sent))
    header = dict(header, **{k: encoder.encode(v) for k, v in values.items()})
    try:
        answer, buffers = worker.request(header, encoder.buffers)
    except OutOfTime as exc:
        exc.calls = [label, *sent]
        raise
    if answer.get("ok") is not True:
        error = answer.get("error")
        if not isinstance(error, dict):
            raise WorkerFailure("the worker sent a malformed answer")
        raise StudentError(
            *(_text(error.get(k)) for k in ("type", "message", "traceback")), call=label
        )
    try:
        if raw_handle:
            return check_handle(answer["value"])
        decoder = Decoder(buffers, lambda h: Handle(worker, check_handle(h), label))
        return decoder.decode(answer.get("value"))
    except (ProtocolError, KeyError, TypeError, AttributeError, ValueError) as exc:
        worker.close()
        raise WorkerFailure(f"the worker sent malformed data: {exc}") from exc


def _text(value: Any, limit: int = 20000) -> str:
    """A field of the worker's error report: a string, cut to ``limit``; anything else is
    dropped (``str`` of a deeply nested list would recurse in the grader)."""
    return value[:limit] if isinstance(value, str) else ""


def _send_handle(value: Any, worker: Channel, sent: list[str]) -> dict:
    if isinstance(value, Handle) and value._worker is worker:
        sent.append(value._label)
        return {"t": "handle", "id": value._id}
    raise TypeError(
        f"cannot send a {type(value).__name__} to the worker: only data and handles cross"
    )
