"""Framing: messages between the grader and a worker process, bounded and with deadlines.

A message is a JSON header plus raw binary buffers (tensor and array bytes)::

    [4 bytes: header length, big endian][header JSON][buffer 0][buffer 1]...

and the header lists the buffers' lengths. What the values inside mean is
:mod:`torchgrade.protocol`'s business; this module only moves bytes, refuses oversized or
malformed frames, and never waits past a deadline. It imports nothing heavy, so the grader
can start its sandbox before it imports torch.

What one message from an untrusted peer can cost the grader (``max_header=MAX_REPLY_HEADER``,
as the trusted side reads): at most 8 MiB of header, read as it arrives, refused before
parsing when it holds more than 1M JSON values (a value costs at most ~72 bytes parsed, so
~80 MB in all), and at most 512 MiB of buffers, also read as they arrive and never copied.
Bytes are allocated only as the peer sends them: a forged length costs nothing.
"""

import json
import socket
import struct
import time
from typing import Any

MAX_HEADER = 32 << 20  # bytes of JSON in one message (the grader's load request: source)
MAX_REPLY_HEADER = 8 << 20  # bytes of JSON the trusted side accepts from a worker/template
MAX_PAYLOAD = 512 << 20  # bytes of tensor data in one message
MAX_BUFFERS = 100_000  # buffers in one message
_BYTES_PER_VALUE = 8  # a header may hold one JSON value per 8 bytes of its size limit
_CHUNK = 1 << 20  # bytes asked of the socket at once: memory grows only as data arrives


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


def recv_message(
    sock: socket.socket, deadline: float | None = None, max_header: int = MAX_HEADER
) -> tuple[dict, list[bytearray]]:
    """Receive one message; raise :class:`ProtocolError` on anything malformed or oversized.

    ``deadline`` (a ``time.monotonic()`` value) bounds the whole message, not each read, so
    a peer that trickles bytes cannot stretch it. ``max_header``: the most bytes of JSON
    accepted (the trusted side passes :data:`MAX_REPLY_HEADER`); a header may hold at most
    one JSON value per 8 of those bytes, counted before it is parsed.
    """
    (size,) = struct.unpack("!I", _recv_exact(sock, 4, deadline))
    if size > max_header:
        raise ProtocolError(f"header of {size} bytes exceeds {max_header}")
    raw = _recv_exact(sock, size, deadline)
    # Every JSON value but a bare number or literal starts with, or is separated by, one of
    # these bytes: their count bounds what parsing can allocate (strings count as well).
    values = sum(raw.count(c) for c in (b"[", b"{", b",", b'"'))
    if values > max_header // _BYTES_PER_VALUE:
        raise ProtocolError(f"header holds more than {max_header // _BYTES_PER_VALUE} values")
    try:
        header = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"header is not valid JSON: {exc}") from exc
    del raw
    if not isinstance(header, dict):
        raise ProtocolError("header is not a JSON object")
    lengths = header.pop("buffers", [])
    if not isinstance(lengths, list) or not all(is_int(n) and n >= 0 for n in lengths):
        raise ProtocolError("bad buffer list")
    if len(lengths) > MAX_BUFFERS or sum(lengths) > MAX_PAYLOAD:
        raise ProtocolError(
            f"{len(lengths)} buffers of {sum(lengths)} bytes exceed {MAX_BUFFERS} or {MAX_PAYLOAD}"
        )
    return header, [_recv_exact(sock, n, deadline) for n in lengths]


def _recv_exact(sock: socket.socket, n: int, deadline: float | None = None) -> bytearray:
    """``n`` bytes, read as they arrive (never allocated ahead of them), not copied after."""
    data = bytearray()
    while len(data) < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout("deadline passed")
            sock.settimeout(left)
        try:
            chunk = sock.recv(min(n - len(data), _CHUNK))
        except TimeoutError as exc:
            raise Timeout("deadline passed") from exc
        except OSError as exc:
            raise PeerClosed(f"connection broken: {exc}") from exc
        if not chunk:
            raise PeerClosed("connection closed")
        data += chunk
    return data


def _reject_constant(name: str) -> None:
    raise ValueError(f"bare {name} is not allowed; non-finite floats are tagged")


def is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)
