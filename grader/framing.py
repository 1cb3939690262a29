"""Framing: messages between the grader and a worker process, bounded and with deadlines.

A message is a JSON header plus raw binary buffers (tensor and array bytes)::

    [4 bytes: header length, big endian][header JSON][buffer 0][buffer 1]...

and the header lists the buffers' lengths. What the values inside mean is
:mod:`torchgrade.protocol`'s business; this module only moves bytes, refuses oversized or
malformed frames, and never waits past a deadline. It imports nothing heavy, so the grader
can start its sandbox before it imports torch.
"""

import json
import socket
import struct
import time
from typing import Any

MAX_HEADER = 32 << 20  # bytes of JSON in one message
MAX_PAYLOAD = 512 << 20  # bytes of tensor data in one message


class ProtocolError(Exception):
    """A message that is not well-formed data: the sender broke the protocol."""


class PeerClosed(ProtocolError):
    """The other end closed the connection (the worker exited or was killed)."""


class Timeout(ProtocolError):
    """No complete message before the deadline."""


def send_message(sock: socket.socket, header: dict, buffers: list[bytes | memoryview] = ()) -> None:
    """Send one message: a JSON header and its binary buffers."""
    header = dict(header, buffers=[memoryview(b).nbytes for b in buffers])
    raw = json.dumps(header, allow_nan=False, separators=(",", ":")).encode()
    sock.sendall(struct.pack("!I", len(raw)) + raw)
    for buf in buffers:
        sock.sendall(buf)


def recv_message(sock: socket.socket, deadline: float | None = None) -> tuple[dict, list[bytes]]:
    """Receive one message; raise :class:`ProtocolError` on anything malformed or oversized.

    ``deadline`` (a ``time.monotonic()`` value) bounds the whole message, not each read, so
    a peer that trickles bytes cannot stretch it.
    """
    (size,) = struct.unpack("!I", _recv_exact(sock, 4, deadline))
    if size > MAX_HEADER:
        raise ProtocolError(f"header of {size} bytes exceeds {MAX_HEADER}")
    try:
        header = json.loads(_recv_exact(sock, size, deadline), parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"header is not valid JSON: {exc}") from exc
    if not isinstance(header, dict):
        raise ProtocolError("header is not a JSON object")
    lengths = header.pop("buffers", [])
    if not isinstance(lengths, list) or not all(is_int(n) and n >= 0 for n in lengths):
        raise ProtocolError("bad buffer list")
    if sum(lengths) > MAX_PAYLOAD:
        raise ProtocolError(f"payload of {sum(lengths)} bytes exceeds {MAX_PAYLOAD}")
    return header, [_recv_exact(sock, n, deadline) for n in lengths]


def _recv_exact(sock: socket.socket, n: int, deadline: float | None = None) -> bytes:
    data = bytearray()
    while len(data) < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout("deadline passed")
            sock.settimeout(left)
        try:
            chunk = sock.recv(min(n - len(data), 1 << 20))
        except TimeoutError as exc:
            raise Timeout("deadline passed") from exc
        except OSError as exc:
            raise PeerClosed(f"connection broken: {exc}") from exc
        if not chunk:
            raise PeerClosed("connection closed")
        data += chunk
    return bytes(data)


def _reject_constant(name: str) -> None:
    raise ValueError(f"bare {name} is not allowed; non-finite floats are tagged")


def is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)
