"""The wire carries data only: round trips, and refusal of everything else."""

import json
import math
import select
import socket
import struct
import threading
import tracemalloc

import numpy as np
import pytest
import torch

from torchgrade.framing import (
    MAX_BUFFERS,
    MAX_HEADER,
    MAX_REPLY_HEADER,
    PeerClosed,
    ProtocolError,
    Timeout,
    recv_message,
    send_message,
)
from torchgrade.protocol import Decoder, Encoder, check_handle


def _no_handles(value):
    raise TypeError(f"not data: {type(value).__name__}")


def roundtrip(value):
    encoder = Encoder(_no_handles)
    wire = json.loads(json.dumps(encoder.encode(value), allow_nan=False))
    buffers = [bytes(b) for b in encoder.buffers]
    return Decoder(buffers, lambda h: ("handle", h["id"])).decode(wire)


def test_data_roundtrips_exactly():
    value = {
        "n": 3,
        "x": 0.25,
        "flag": True,
        "none": None,
        "text": "héllo",
        "list": [1, (2, 3)],
        (1, "k"): "tuple key",
        "t": torch.arange(6, dtype=torch.float32).reshape(2, 3),
        "i": torch.tensor([1, 2], dtype=torch.int64),
        "b": torch.tensor([True, False]),
        "a": np.arange(4, dtype=np.float64),
        "size": torch.Size([2, 3]),
        "dt": torch.float64,
    }
    back = roundtrip(value)
    assert back["list"] == [1, (2, 3)] and back[(1, "k")] == "tuple key"
    assert torch.equal(back["t"], value["t"]) and back["t"].dtype == torch.float32
    assert torch.equal(back["i"], value["i"]) and torch.equal(back["b"], value["b"])
    assert np.array_equal(back["a"], value["a"]) and back["size"] == (2, 3)
    assert back["dt"] is torch.float64


def test_container_subclasses_cross_as_their_base():
    from collections import OrderedDict, namedtuple

    pair = namedtuple("pair", "a b")
    back = roundtrip(OrderedDict(w=torch.ones(1), p=pair(1, 2)))
    assert type(back) is dict and back["p"] == (1, 2) and torch.equal(back["w"], torch.ones(1))


def test_non_finite_floats_are_tagged_not_bare():
    encoded = Encoder(_no_handles).encode([math.nan, math.inf, -math.inf])
    assert json.dumps(encoded, allow_nan=False)  # no bare NaN in the JSON
    back = roundtrip([math.nan, math.inf, -math.inf])
    assert math.isnan(back[0]) and back[1] == math.inf and back[2] == -math.inf


def test_parameters_and_grad_flags_survive():
    p = torch.nn.Parameter(torch.ones(2, 1))
    back = roundtrip({"p": p, "t": torch.zeros(3).requires_grad_()})
    assert isinstance(back["p"], torch.nn.Parameter) and back["p"].requires_grad
    assert back["t"].requires_grad and not isinstance(back["t"], torch.nn.Parameter)


def test_objects_that_are_not_data_become_handles():
    seen = []
    encoder = Encoder(lambda v: seen.append(v) or {"t": "handle", "id": 7, "type": "x", "mro": []})
    module = torch.nn.Linear(2, 1)
    assert encoder.encode([module])[0]["t"] == "handle" and seen == [module]
    # bfloat16 is not a whitelisted dtype: it stays in the worker as a handle too
    assert encoder.encode(torch.zeros(2, dtype=torch.bfloat16))["t"] == "handle"


@pytest.mark.parametrize(
    "bad",
    [
        {"t": "pickle", "v": "gASV"},  # unknown tag
        {"t": "tensor", "dtype": "object", "shape": [1], "buf": 0},  # dtype not whitelisted
        {"t": "tensor", "dtype": "float32", "shape": [1000], "buf": 0},  # size mismatch
        {"t": "tensor", "dtype": "float32", "shape": [-1], "buf": 0},  # negative dimension
        {"t": "tensor", "dtype": "float32", "shape": [1], "buf": 5},  # missing buffer
        {"t": "float", "v": "1e400"},  # not a tagged constant
        {"t": "dict", "v": [[1]]},  # malformed pair
        {"t": "dict", "v": [[[1], 2]]},  # unhashable key
        {"t": "dtype", "v": "__class__"},  # not a dtype
        {"__reduce__": "os.system"},  # untagged object
    ],
)
def test_decoder_refuses_anything_but_data(bad):
    with pytest.raises(ProtocolError):
        Decoder([b"\0" * 4], lambda h: h).decode(bad)


def test_decoder_bounds_depth():
    deep = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(ProtocolError):
        Decoder([], lambda h: h).decode(deep)


@pytest.mark.parametrize("bad", [{"id": "1"}, {"id": 1, "type": 5}, {"id": 1, "mro": "x"}])
def test_handles_are_validated(bad):
    with pytest.raises(ProtocolError):
        check_handle(bad)


def test_framing_roundtrip_and_limits():
    a, b = socket.socketpair()
    with a, b:
        send_message(a, {"op": "x", "n": 1}, [b"abc", b""])
        header, buffers = recv_message(b)
        assert header == {"op": "x", "n": 1} and buffers == [b"abc", b""]
        a.sendall(struct.pack("!I", MAX_HEADER + 1))
        with pytest.raises(ProtocolError, match="exceeds"):
            recv_message(b)


def test_framing_rejects_bare_nan_and_non_objects():
    for raw in (b'{"x": NaN}', b"[1, 2]", b"not json"):
        a, b = socket.socketpair()
        with a, b:
            a.sendall(struct.pack("!I", len(raw)) + raw)
            with pytest.raises(ProtocolError):
                recv_message(b)


def test_deadline_bounds_a_trickling_peer():
    import time

    a, b = socket.socketpair()
    with a, b:
        a.sendall(struct.pack("!I", 100) + b"{")  # promises 100 bytes, sends one
        with pytest.raises(Timeout):
            recv_message(b, deadline=time.monotonic() + 0.2)
        a.close()
        with pytest.raises(PeerClosed):
            recv_message(b)


def test_one_buffer_backs_one_array_only():
    """A reply naming one buffer a thousand times is refused, not copied a thousand times."""
    tensor = {"t": "tensor", "dtype": "uint8", "shape": [1 << 20], "buf": 0}
    with pytest.raises(ProtocolError, match="more than one array"):
        Decoder([bytearray(1 << 20)], lambda h: h).decode([tensor] * 1000)


def test_received_buffers_are_used_in_place():
    buffer = bytearray(np.arange(4, dtype=np.float32).tobytes())
    value = {"t": "tensor", "dtype": "float32", "shape": [4], "buf": 0}
    tensor = Decoder([buffer], lambda h: h).decode(value)
    buffer[:4] = np.float32(7).tobytes()  # the tensor is a view of what was received
    assert tensor.tolist() == [7.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("shape", [[0, 1 << 50], [0] + [1 << 40] * 15, [1 << 41, 0]])
def test_empty_arrays_cannot_claim_absurd_shapes(shape):
    value = {"t": "ndarray", "dtype": "float64", "shape": shape, "buf": 0}
    with pytest.raises(ProtocolError, match="bad shape"):
        Decoder([b""], lambda h: h).decode(value)


def _peak_while_receiving(raw: bytes) -> int:
    """Peak bytes allocated by recv_message(max_header=MAX_REPLY_HEADER) reading ``raw``,
    which it must refuse."""
    a, b = socket.socketpair()
    with a, b:
        a.setblocking(False)
        sender = threading.Thread(target=_send_all, args=(a, raw))
        sender.start()
        tracemalloc.start()
        try:
            with pytest.raises(ProtocolError):
                recv_message(b, max_header=MAX_REPLY_HEADER)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            b.close()
            sender.join()


def _send_all(sock, raw: bytes) -> None:
    view = memoryview(raw)
    while view:
        select.select([], [sock], [], 5)
        try:
            view = view[sock.send(view) :]
        except BlockingIOError:
            continue
        except OSError:  # the reader refused and closed
            return


def test_a_forged_header_costs_what_was_sent_not_what_was_claimed():
    # 32 MiB claimed: refused from the 4 length bytes alone.
    assert _peak_while_receiving(struct.pack("!I", 32 << 20) + b"{" * 1000) < 1 << 20
    # Claimed within bounds, but the sender stops early: memory follows the bytes sent.
    a, b = socket.socketpair()
    with a, b:
        a.sendall(struct.pack("!I", MAX_REPLY_HEADER) + b"{" * 100)
        a.shutdown(socket.SHUT_WR)
        with pytest.raises(PeerClosed):
            recv_message(b, max_header=MAX_REPLY_HEADER)


def test_a_header_of_many_small_values_is_refused_before_parsing():
    """8 MiB of ``[],[],...`` would parse to ~200 MB of lists; it is counted and refused."""
    body = b"[" + b"[]," * ((MAX_REPLY_HEADER - 10) // 3) + b"[]]"
    raw = struct.pack("!I", len(body)) + body
    peak = _peak_while_receiving(raw)
    assert peak < 3 * MAX_REPLY_HEADER, peak


def test_buffer_count_is_bounded():
    body = json.dumps({"buffers": [0] * (MAX_BUFFERS + 1)}).encode()
    _peak_while_receiving(struct.pack("!I", len(body)) + body)  # refused (ProtocolError)


def test_every_data_op_has_its_handler_in_the_worker_and_no_handler_is_unnamed():
    from torchgrade.protocol import DataOp, data_request
    from torchgrade.worker.server import Server

    handlers = {name.removeprefix("op_") for name in dir(Server) if name.startswith("op_")}
    assert handlers == {op.value for op in DataOp}
    assert data_request(DataOp.CALL, target=2) == {"op": "call", "target": 2}
