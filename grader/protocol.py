"""The values on the wire between the trusted grader and an untrusted worker: data only.

Messages are framed by :mod:`torchgrade.framing`. Values are JSON with a few tagged objects and
raw buffers for tensor bytes::

    [...]                                   list
    {"t": "tuple", "v": [...]}              tuple
    {"t": "dict", "v": [[k, v], ...]}       dict (any data keys)
    {"t": "float", "v": "nan"}              non-finite float ("nan", "inf", "-inf")
    {"t": "tensor", "dtype", "shape", "buf", "grad", "param"}   torch tensor / nn.Parameter
    {"t": "ndarray", "dtype", "shape", "buf"}                   numpy array
    {"t": "dtype", "v": "float32"}          a torch dtype
    {"t": "handle", "id", "type", "mro"}    an object left in the worker

The trusted side never unpickles or evaluates anything: :func:`decode` rebuilds tensors from
bytes with a whitelisted dtype, checks every size against explicit limits, and turns handles
into proxies through a callback. Whatever a worker sends, the worst it can do is be wrong.

What a decoded reply can cost: at most ``MAX_NODES`` values nested at most ``MAX_DEPTH``
deep; every buffer backs at most one array (a reply that names one buffer a million times is
refused, not copied a million times), so the arrays of one reply hold at most the message's
payload (:data:`torchgrade.framing.MAX_PAYLOAD`), without a copy when the buffer is writable.
"""

import math
from collections.abc import Callable
from enum import Enum
from typing import Any

import numpy as np
import torch

from torchgrade.framing import ProtocolError, is_int

# dtype name -> (numpy dtype, torch dtype). bfloat16 and complex are not data on this wire.
DTYPES: dict[str, tuple[np.dtype, torch.dtype]] = {
    name: (np.dtype(name), getattr(torch, name))
    for name in (
        "bool",
        "uint8",
        "int8",
        "int16",
        "int32",
        "int64",
        "float16",
        "float32",
        "float64",
    )
}

MAX_DEPTH = 64  # nesting of containers
MAX_NODES = 1_000_000  # values in one message
MAX_DIMS = 16
MAX_DIM_SIZE = 1 << 40  # elements along one dimension (an empty array may claim any shape)
MAX_TEXT = 1 << 20  # characters in one string


# ----------------------------------------------------------------------------- encoding


class DataOp(str, Enum):
    """The requests the trusted side sends a worker, each answered by ``Server.op_<value>``.

    ``{"op": DataOp.CALL.value, ...}`` on the wire (:func:`data_request` builds one). The control
    protocol between the grader and the sandbox's long-lived processes is
    :mod:`torchgrade.control`'s; this is the data protocol of one test's worker.
    """

    SEED = "seed"  # seed torch, numpy and random: {"value"}
    MODULE = "module"  # import a module, answer a handle: {"name"}
    GETATTR = "getattr"  # {"target", "name"}
    SETATTR = "setattr"  # {"target", "name", "value"}
    CALL = "call"  # {"target", "args", "kwargs"}
    GETITEM = "getitem"  # {"target", "key"}
    LEN = "len"  # {"target"}
    LIST = "list"  # iterate a handle into a list: {"target"}
    REPR = "repr"  # {"target"}
    WATCH = "watch"  # record the torch ops the next requests dispatch: {"forbid"}
    DISPATCH = "dispatch"  # the record so far, as JSON text
    RESET = "reset"  # start the next test of the same exercise: forget handles, restore modules


def data_request(op: DataOp, **fields: Any) -> dict:
    """A request header: ``{"op": op.value, **fields}``."""
    return {"op": op.value, **fields}


class Encoder:
    """Turns Python values into wire values, collecting binary buffers.

    ``to_handle`` decides what happens to a value that is not data: the worker registers it
    and returns a handle dict; the trusted side passes its proxies' handle dicts through it
    and refuses anything else (a trusted object never crosses to the worker).
    """

    def __init__(self, to_handle: Callable[[Any], dict]):
        self.to_handle = to_handle
        self.buffers: list[memoryview] = []

    def encode(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise ProtocolError("value is nested too deeply")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value) if math.isfinite(value) else {"t": "float", "v": str(value)}
        if isinstance(value, torch.Tensor):
            return self._tensor(value)
        if isinstance(value, np.ndarray) and value.dtype.name in DTYPES:
            array = np.ascontiguousarray(value)
            return {"t": "ndarray", **self._buffer(array)}
        if isinstance(value, np.generic) and value.dtype.name in DTYPES:
            return self.encode(value.item(), depth)
        if isinstance(value, torch.dtype):
            return {"t": "dtype", "v": str(value).removeprefix("torch.")}
        if isinstance(value, torch.Size):
            return {"t": "tuple", "v": [int(d) for d in value]}
        # Subclasses cross as their base: a state_dict is an OrderedDict, torch.max returns a
        # named tuple. Their extra behaviour is not data and stays behind.
        if isinstance(value, (list, tuple)):
            items = [self.encode(v, depth + 1) for v in value]
            return items if isinstance(value, list) else {"t": "tuple", "v": items}
        if isinstance(value, dict):
            pairs = [
                [self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()
            ]
            return {"t": "dict", "v": pairs}
        return self.to_handle(value)

    def _tensor(self, value: torch.Tensor) -> dict:
        tensor = torch.Tensor.detach(value)
        name = str(tensor.dtype).removeprefix("torch.")
        if name not in DTYPES or tensor.layout != torch.strided or tensor.device.type == "meta":
            return self.to_handle(value)
        array = tensor.cpu().contiguous().numpy()
        return {
            "t": "tensor",
            "grad": bool(value.requires_grad),
            "param": isinstance(value, torch.nn.Parameter),
            **self._buffer(array),
        }

    def _buffer(self, array: np.ndarray) -> dict:
        self.buffers.append(memoryview(array.reshape(-1).view(np.uint8)))
        return {"dtype": array.dtype.name, "shape": list(array.shape), "buf": len(self.buffers) - 1}


# ----------------------------------------------------------------------------- decoding


class Decoder:
    """Rebuilds values from a received header and buffers, strictly.

    ``from_handle`` turns a handle dict into whatever the receiving side uses for it (a proxy
    on the trusted side, the registered object in the worker).
    """

    def __init__(self, buffers: list[bytes], from_handle: Callable[[dict], Any]):
        self.buffers = buffers
        self.from_handle = from_handle
        self.nodes = 0
        self.used: set[int] = set()  # buffer indices already turned into an array

    def decode(self, value: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise ProtocolError("value is too large or nested too deeply")
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                raise ProtocolError("string too long")
            return value
        if isinstance(value, list):
            return [self.decode(v, depth + 1) for v in value]
        if not isinstance(value, dict):
            raise ProtocolError(f"unexpected JSON value of type {type(value).__name__}")
        tag = value.get("t")
        if tag == "tuple":
            return tuple(self.decode(v, depth + 1) for v in _list(value, "v"))
        if tag == "dict":
            pairs = [_pair(p) for p in _list(value, "v")]
            try:
                return {self.decode(k, depth + 1): self.decode(v, depth + 1) for k, v in pairs}
            except TypeError as exc:  # an unhashable key
                raise ProtocolError(f"bad dict key: {exc}") from exc
        if tag == "float":
            if value.get("v") not in ("nan", "inf", "-inf"):
                raise ProtocolError("bad tagged float")
            return float(value["v"])
        if tag in ("tensor", "ndarray"):
            return self._array(value, tag)
        if tag == "dtype":
            dtype = getattr(torch, str(value.get("v")), None)
            if not isinstance(dtype, torch.dtype):
                raise ProtocolError("unknown dtype")
            return dtype
        if tag == "handle":
            return self.from_handle(value)
        raise ProtocolError(f"unknown tag {tag!r}")

    def _array(self, value: dict, tag: str) -> Any:
        dtype = DTYPES.get(value.get("dtype"))
        shape = value.get("shape")
        index = value.get("buf")
        if dtype is None:
            raise ProtocolError(f"dtype {value.get('dtype')!r} is not allowed")
        if not isinstance(shape, list) or len(shape) > MAX_DIMS:
            raise ProtocolError("bad shape")
        if not all(is_int(d) and 0 <= d <= MAX_DIM_SIZE for d in shape):
            raise ProtocolError("bad shape")
        if not is_int(index) or not 0 <= index < len(self.buffers):
            raise ProtocolError("bad buffer index")
        if index in self.used:
            raise ProtocolError(f"buffer {index} is used by more than one array")
        self.used.add(index)
        raw = self.buffers[index]
        if math.prod(shape) * dtype[0].itemsize != len(raw):
            raise ProtocolError("buffer size does not match shape and dtype")
        try:
            array = np.frombuffer(raw, dtype=dtype[0]).reshape(shape)
        except ValueError as exc:  # a shape numpy refuses
            raise ProtocolError(f"bad shape: {exc}") from exc
        if not array.flags.writeable:  # bytes: copy; a received bytearray is used in place
            array = array.copy()
        if tag == "ndarray":
            return array
        tensor = torch.from_numpy(array)
        wants_grad = value.get("grad") is True and tensor.is_floating_point()
        if value.get("param") is True:
            return torch.nn.Parameter(tensor, requires_grad=wants_grad)
        return tensor.requires_grad_(wants_grad)


def _list(value: dict, key: str) -> list:
    items = value.get(key)
    if not isinstance(items, list):
        raise ProtocolError(f"expected a list under {key!r}")
    return items


def _pair(item: Any) -> list:
    if not isinstance(item, list) or len(item) != 2:
        raise ProtocolError("bad dict entry")
    return item


def check_handle(value: dict) -> dict:
    """Validate a handle dict from the worker; returns its fields with safe types."""
    handle_id = value.get("id")
    if not is_int(handle_id):
        raise ProtocolError("bad handle id")
    texts = {key: value.get(key, "") for key in ("type", "repr")}
    mro = value.get("mro", [])
    if not all(isinstance(t, str) and len(t) <= MAX_TEXT for t in texts.values()):
        raise ProtocolError("bad handle description")
    if not isinstance(mro, list) or len(mro) > 256:
        raise ProtocolError("bad handle mro")
    if not all(isinstance(t, str) and len(t) <= 1000 for t in mro):
        raise ProtocolError("bad handle mro")
    return {"id": handle_id, "mro": mro, **texts}
