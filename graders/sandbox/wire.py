"""The wire format between the grader and the sandboxed submission.

Both sides use this module; the child loads it by file path before any submission code
runs, so it imports only the standard library and NumPy.

A message is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON. JSON
cannot carry code, and arrays travel as raw little-endian bytes of a whitelisted numeric
dtype (never `object`, never pickle), so decoding a hostile message can at worst raise
`WireError`. Values are encoded as:

    None, bool, int, str          as themselves
    float                          as itself, or {"$float": "nan" | "inf" | "-inf"}
    list                           as a list
    tuple                          {"$tuple": [...]}
    dict with str keys             {"$dict": {...}}
    numpy array or numpy scalar    {"$array": {"dtype": "float64", "shape": [...], "b64": "..."}}
    an object kept in the child    {"$handle": {"id": 3, "type": "submission.Net", "repr": "..."}}
    grader -> child only:
      a handle passed back         {"$ref": 3}
      a callable the child builds  {"$callable": {"kind": "...", "spec": ...}}
"""

from __future__ import annotations

import base64
import json
import math
import struct

import numpy as np

MAX_MESSAGE_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 32
ALLOWED_DTYPES = frozenset(
    ["float64", "float32", "float16", "int64", "int32", "int16", "int8",
     "uint8", "uint16", "uint32", "uint64", "bool", "complex128"]
)


class WireError(ValueError):
    """A message that is not valid in this format."""


class Handle:
    """A reference to an object that stays in the child (the grader never touches it)."""

    __slots__ = ("id", "type", "repr")

    def __init__(self, id: int, type: str, repr: str = ""):
        self.id, self.type, self.repr = int(id), str(type), str(repr)

    def __repr__(self) -> str:
        return f"<{self.type} object kept in the sandbox>"

    def __eq__(self, other) -> bool:
        return isinstance(other, Handle) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


class Ref:
    """Pass a `Handle` back into the child as an argument or a call target."""

    __slots__ = ("id",)

    def __init__(self, handle_or_id):
        self.id = handle_or_id.id if isinstance(handle_or_id, Handle) else int(handle_or_id)


class CallableSpec:
    """A callable the child builds from trusted harness code (e.g. a recording schedule)."""

    __slots__ = ("kind", "spec")

    def __init__(self, kind: str, spec=None):
        self.kind, self.spec = kind, spec


# ---------------------------------------------------------------- encoding


def encode(value, keep=None, _depth: int = 0):
    """Turn `value` into JSON-able data.

    `keep(obj) -> Handle` is called for anything that is not plain data (the child
    stores the object and returns a handle); without it such values raise WireError.
    """
    if _depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    d = _depth + 1
    if value is None or isinstance(value, (bool, str)):
        return value
    if type(value) is int:
        return value
    if type(value) is float:
        if math.isfinite(value):
            return value
        return {"$float": "nan" if value != value else ("inf" if value > 0 else "-inf")}
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        return _encode_array(np.asarray(value))
    if type(value) is list:
        return [encode(v, keep, d) for v in value]
    if type(value) is tuple:
        return {"$tuple": [encode(v, keep, d) for v in value]}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"$dict": {k: encode(v, keep, d) for k, v in value.items()}}
    if isinstance(value, Handle):
        if keep is None:  # the grader passes a kept object back: a reference to it
            return {"$ref": value.id}
        return {"$handle": {"id": value.id, "type": value.type, "repr": value.repr}}
    if isinstance(value, Ref):
        return {"$ref": value.id}
    if isinstance(value, CallableSpec):
        return {"$callable": {"kind": value.kind, "spec": encode(value.spec, None, d)}}
    if keep is not None:
        kept = keep(value)
        if isinstance(kept, Handle):  # the child's stand-in for an object it keeps
            return {"$handle": {"id": kept.id, "type": kept.type, "repr": kept.repr}}
        return encode(kept, None, d)
    raise WireError(f"cannot send a value of type {type(value).__name__}")


def _encode_array(a: np.ndarray) -> dict:
    name = a.dtype.name
    if name not in ALLOWED_DTYPES:
        raise WireError(f"arrays of dtype {name} cannot be sent")
    data = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
    return {"$array": {"dtype": name, "shape": list(a.shape), "b64": base64.b64encode(data).decode("ascii")}}


# ---------------------------------------------------------------- decoding


def decode(data, resolve_ref=None, resolve_callable=None, _depth: int = 0):
    """Inverse of `encode`; raises WireError on anything malformed.

    `resolve_ref(id)` and `resolve_callable(kind, spec)` are given only on the child's
    side; on the grader's side a "$ref" or "$callable" from the child is an error.
    """
    if _depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    d = _depth + 1
    if data is None or isinstance(data, (bool, str, int)):
        return data
    if isinstance(data, float):
        return data
    if isinstance(data, list):
        return [decode(v, resolve_ref, resolve_callable, d) for v in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise WireError("malformed value")
    (tag, body), = data.items()
    if tag == "$float":
        if body not in ("nan", "inf", "-inf"):
            raise WireError("malformed float")
        return float(body)
    if tag == "$tuple":
        if not isinstance(body, list):
            raise WireError("malformed tuple")
        return tuple(decode(v, resolve_ref, resolve_callable, d) for v in body)
    if tag == "$dict":
        if not isinstance(body, dict):
            raise WireError("malformed dict")
        return {str(k): decode(v, resolve_ref, resolve_callable, d) for k, v in body.items()}
    if tag == "$array":
        return _decode_array(body)
    if tag == "$handle":
        if not isinstance(body, dict) or not isinstance(body.get("id"), int):
            raise WireError("malformed handle")
        return Handle(body["id"], str(body.get("type", "?"))[:200], str(body.get("repr", ""))[:200])
    if tag == "$ref" and resolve_ref is not None:
        if not isinstance(body, int):
            raise WireError("malformed reference")
        return resolve_ref(body)
    if tag == "$callable" and resolve_callable is not None:
        if not isinstance(body, dict) or not isinstance(body.get("kind"), str):
            raise WireError("malformed callable")
        return resolve_callable(body["kind"], decode(body.get("spec"), None, None, d))
    raise WireError(f"unexpected tag {tag!r}")


def _decode_array(body) -> np.ndarray:
    if not isinstance(body, dict):
        raise WireError("malformed array")
    dtype, shape, b64 = body.get("dtype"), body.get("shape"), body.get("b64")
    if dtype not in ALLOWED_DTYPES or not isinstance(shape, list) or not isinstance(b64, str):
        raise WireError("malformed array")
    if len(shape) > 32 or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise WireError("malformed array shape")
    dt = np.dtype(dtype).newbyteorder("<")
    try:
        raw = base64.b64decode(b64, validate=True)
    except ValueError as exc:
        raise WireError("malformed array data") from exc
    count = math.prod(shape)
    if len(raw) != count * dt.itemsize:
        raise WireError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dt).astype(np.dtype(dtype), copy=True).reshape(shape)


# ---------------------------------------------------------------- framing


def pack(message: dict) -> bytes:
    try:
        body = json.dumps(message, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except (ValueError, TypeError, RecursionError, UnicodeEncodeError) as exc:
        # e.g. an int too large for JSON (Python limits int-to-str conversion), a lone surrogate
        raise WireError(f"the value cannot be sent: {type(exc).__name__}: {str(exc)[:200]}") from None
    if len(body) > MAX_MESSAGE_BYTES:
        raise WireError(f"message of {len(body)} bytes is over the limit")
    return struct.pack(">I", len(body)) + body


def unpack_length(header: bytes) -> int:
    if len(header) != 4:
        raise WireError("truncated message header")
    (n,) = struct.unpack(">I", header)
    if n > MAX_MESSAGE_BYTES:
        raise WireError(f"message of {n} bytes is over the limit")
    return n


def parse(body: bytes) -> dict:
    try:
        msg = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError("message is not valid JSON") from exc
    if not isinstance(msg, dict):
        raise WireError("message is not an object")
    return msg
