"""What a worker serves during a test: calls, attributes and values of the submission.

Worker side: runs in a forked worker (and in the grader itself only under ``--no-sandbox``).
Requests and answers are the data protocol (:mod:`torchgrade.protocol`): the answer is data or
a handle to an object that stays here; the trusted grader judges what comes back.
"""

import contextlib
import json
import random
import socket
import sys
from typing import Any

from torchgrade.framing import PeerClosed, recv_message, send_message
from torchgrade.protocol import DataOp, Decoder, Encoder, data_request
from torchgrade.worker import dispatch
from torchgrade.worker.loader import MAX_MESSAGE, describe_exception


def namespaces(names: list[str] | tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Copies of the loaded submission modules' namespaces: what :meth:`Server.op_reset` puts
    back (taken once, after the cells ran, before any test)."""
    return {name: dict(vars(sys.modules[name])) for name in names if name in sys.modules}


# Requests about the recorder itself are served without it.
_UNWATCHED = {DataOp.WATCH, DataOp.DISPATCH}


class Server:
    """Serves one test's requests, or those of consecutive tests of one section (after a
    reset): each op acts on objects kept here behind handles."""

    def __init__(
        self,
        sock: socket.socket | None,
        student_files: set[str],
        pristine: dict[str, dict[str, Any]] | None = None,
    ):
        self.sock = sock
        self.student_files = student_files
        self.pristine = pristine or {}  # module name -> its namespace as loaded (see op_reset)
        self.objects: dict[int, Any] = {}
        self.ids: dict[int, int] = {}
        self.recorder = dispatch.Recorder(student_files)
        import torch

        self.modes = (torch.get_default_dtype(), torch.get_num_threads())  # for op_reset

    def serve(self) -> None:
        while True:
            try:
                request, buffers = recv_message(self.sock)
            except PeerClosed:
                return
            header, out = self.handle(request, buffers)
            send_message(self.sock, header, out)

    def handle(self, request: dict, buffers: list[bytes]) -> tuple[dict, list]:
        """Answer one request: ``{"ok": True, "value": v}`` or ``{"ok": False, "error": e}``."""
        try:
            decoder = Decoder(buffers, lambda h: self.objects[h["id"]])
            op = DataOp(request["op"])
            watching = self.recorder.watching(op.value)
            with contextlib.nullcontext() if op in _UNWATCHED else watching:
                value = getattr(self, "op_" + op.value)(request, decoder)
                encoder = Encoder(self.register)
                encoded = encoder.encode(value)
            return {"ok": True, "value": encoded}, encoder.buffers
        except BaseException as exc:  # whatever the student raised, including SystemExit
            return {"ok": False, "error": describe_exception(exc, self.student_files)}, []

    def rehearse(self) -> None:
        """Serve a typical request to nobody while waiting for the grader.

        A fresh fork copies each shared page the first time it writes to it; doing that now,
        while the previous test still runs, keeps it off the next test's clock.
        """
        import torch

        tensor = {"t": "tensor", "dtype": "float32", "shape": [4, 2], "buf": 0, "grad": True}
        no_kwargs = {"t": "dict", "v": []}
        self.handle(data_request(DataOp.SEED, value=0), [])
        self.handle(data_request(DataOp.MODULE, name="torchgrade.probes"), [])  # handle 1
        self.handle(data_request(DataOp.GETATTR, target=1, name="clone"), [])  # handle 2
        self.handle(
            data_request(DataOp.CALL, target=2, args=[tensor], kwargs=no_kwargs), [bytes(32)]
        )
        torch.zeros(4, 2).requires_grad_().sum().backward()
        self.objects.clear()
        self.ids.clear()

    def register(self, obj: Any) -> dict:
        """A handle for an object that stays here; the same object keeps the same id."""
        key = id(obj)
        if key not in self.ids:
            self.ids[key] = len(self.objects) + 1
            self.objects[self.ids[key]] = obj
        cls = type(obj)
        return {
            "t": "handle",
            "id": self.ids[key],
            "type": _qualname(cls),
            "mro": [_qualname(c) for c in cls.__mro__],
        }

    def _target(self, request: dict) -> Any:
        return self.objects[request["target"]]

    def op_module(self, request: dict, decoder: Decoder) -> Any:
        name = request["name"]
        return sys.modules[name] if name in sys.modules else __import__(name, fromlist=["_"])

    def op_getattr(self, request: dict, decoder: Decoder) -> Any:
        return getattr(self._target(request), request["name"])

    def op_setattr(self, request: dict, decoder: Decoder) -> None:
        setattr(self._target(request), request["name"], decoder.decode(request["value"]))

    def op_call(self, request: dict, decoder: Decoder) -> Any:
        args = decoder.decode(request["args"])
        kwargs = decoder.decode(request["kwargs"])
        return self._target(request)(*args, **kwargs)

    def op_getitem(self, request: dict, decoder: Decoder) -> Any:
        return self._target(request)[decoder.decode(request["key"])]

    def op_len(self, request: dict, decoder: Decoder) -> int:
        return len(self._target(request))

    def op_list(self, request: dict, decoder: Decoder) -> list:
        return list(self._target(request))

    def op_repr(self, request: dict, decoder: Decoder) -> str:
        return repr(self._target(request))[:MAX_MESSAGE]

    def op_watch(self, request: dict, decoder: Decoder) -> None:
        """Record forbidden ops of these exercises: ``forbid`` is ``{module: {exercise:
        [patterns]}}`` (see :mod:`torchgrade.worker.dispatch`)."""
        self.recorder.watch(request["forbid"])

    def op_dispatch(self, request: dict, decoder: Decoder) -> str:
        """What the recorder saw during this test, as JSON text (the grader validates it)."""
        fields = {"sock", "student_files", "pristine", "modes", "objects", "ids", "recorder"}
        self.recorder.note_all(dispatch.instance_tampering(self, Server, fields))
        return json.dumps(self.recorder.report())

    def op_reset(self, request: dict, decoder: Decoder) -> None:
        """Make this worker what a fresh one would be for the next test of the same section.

        The grader reuses a worker only after a test that passed and changed nothing of the
        submission from the grader's side (torchgrade.plugin, remote.WriteWatch). This puts
        back what such a test may leave: the objects behind its handles, the submission's
        modules as loaded, torch's default dtype, thread count and grad mode. What a
        submission keeps elsewhere changes only its own results, as it could within one test.
        """
        import torch

        self.objects.clear()
        self.ids.clear()
        for name, namespace in self.pristine.items():
            module = sys.modules.get(name)
            if module is not None:
                vars(module).clear()
                vars(module).update(namespace)
        dtype, threads = self.modes
        torch.set_default_dtype(dtype)
        torch.set_num_threads(threads)
        torch.set_grad_enabled(True)

    def op_seed(self, request: dict, decoder: Decoder) -> None:
        import numpy
        import torch

        torch.manual_seed(request["value"])
        numpy.random.seed(request["value"] % 2**32)
        random.seed(request["value"])


def _qualname(cls: type) -> str:
    return f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', '?')}"
