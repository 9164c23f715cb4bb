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

Decoding is bounded before anything is built (`Caps`): the length in the header, then the
JSON's structure (values, nesting) counted on the raw bytes, then the bytes of every array
of a message counted against a budget before any is materialised. The grader reads the
sandbox's replies with `REPLY_CAPS`, sized from what the assignments' references really
return (the largest reply, 0.64 MB; 8,016 JSON values; 0.5 MB of arrays:
`python -m benchmarks.bench_wire`); the sandbox reads the grader's requests, which carry the
submission's cells and the tasks' data, with `REQUEST_CAPS`. A reply over its caps is
refused by the sandbox's own `pack` (the check then fails with the reason) and, from a
hostile sandbox, by the grader's decoder (the sandbox is killed). A decoded reply holds at
most a few times its capped size in the grader's memory (benchmarks/bench_wire.py).
"""

from __future__ import annotations

import base64
import json
import math
import re
import struct
from typing import NamedTuple

import numpy as np

MAX_DEPTH = 32


class Caps(NamedTuple):
    """Bounds on one message: its length, its JSON values (every number, string, list,
    dict and key counts one) and nesting, and its arrays' bytes together."""

    max_bytes: int
    max_values: int
    max_depth: int
    max_array_bytes: int


# the sandbox's replies: 25x the largest a reference sends (0.64 MB), 25x its values (8,016)
REPLY_CAPS = Caps(max_bytes=16 << 20, max_values=200_000, max_depth=2 * MAX_DEPTH + 8,
                  max_array_bytes=12 << 20)
# the grader's requests: the submission's cells (up to 5 MB, up to 6 bytes per character once
# escaped in JSON) and the tasks' data (under 1 MB today)
REQUEST_CAPS = Caps(max_bytes=64 << 20, max_values=2_000_000, max_depth=2 * MAX_DEPTH + 8,
                    max_array_bytes=32 << 20)
MAX_MESSAGE_BYTES = REQUEST_CAPS.max_bytes
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


class ArrayBudget:
    """The array bytes one call's reply (or request) may still materialise."""

    def __init__(self, max_bytes: int = REPLY_CAPS.max_array_bytes):
        self.left = int(max_bytes)

    def take(self, n: int) -> None:
        if n > self.left:
            raise WireError(f"the arrays of this message hold more than the {self.left:,} bytes left of its budget")
        self.left -= n


def decode(data, resolve_ref=None, resolve_callable=None, _depth: int = 0, *, budget: ArrayBudget | None = None):
    """Inverse of `encode`; raises WireError on anything malformed.

    `resolve_ref(id)` and `resolve_callable(kind, spec)` are given only on the child's
    side; on the grader's side a "$ref" or "$callable" from the child is an error.
    budget: the array bytes this value may materialise (shared by the values of one reply);
    by default `REPLY_CAPS.max_array_bytes`, counted before each array is built.
    """
    if budget is None:
        budget = ArrayBudget()
    if _depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    d = _depth + 1
    if data is None or isinstance(data, (bool, str, int)):
        return data
    if isinstance(data, float):
        return data
    if isinstance(data, list):
        return [decode(v, resolve_ref, resolve_callable, d, budget=budget) for v in data]
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
        return tuple(decode(v, resolve_ref, resolve_callable, d, budget=budget) for v in body)
    if tag == "$dict":
        if not isinstance(body, dict):
            raise WireError("malformed dict")
        return {str(k): decode(v, resolve_ref, resolve_callable, d, budget=budget) for k, v in body.items()}
    if tag == "$array":
        return _decode_array(body, budget)
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
        return resolve_callable(body["kind"], decode(body.get("spec"), None, None, d, budget=budget))
    raise WireError(f"unexpected tag {tag!r}")


def _decode_array(body, budget: ArrayBudget) -> np.ndarray:
    if not isinstance(body, dict):
        raise WireError("malformed array")
    dtype, shape, b64 = body.get("dtype"), body.get("shape"), body.get("b64")
    if dtype not in ALLOWED_DTYPES or not isinstance(shape, list) or not isinstance(b64, str):
        raise WireError("malformed array")
    if len(shape) > 32 or not all(type(n) is int and 0 <= n < (1 << 62) for n in shape):
        raise WireError("malformed array shape")
    dt = np.dtype(dtype).newbyteorder("<")
    # counted before anything is built: the declared size and the data it would decode to
    budget.take(max(math.prod(shape) * dt.itemsize, len(b64) // 4 * 3 - b64[-2:].count("=")))
    try:
        raw = base64.b64decode(b64, validate=True)
    except ValueError as exc:
        raise WireError("malformed array data") from exc
    count = math.prod(shape)
    if len(raw) != count * dt.itemsize:
        raise WireError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dt).astype(np.dtype(dtype), copy=True).reshape(shape)


# ---------------------------------------------------------------- framing


def pack(message: dict, caps: Caps = REPLY_CAPS) -> bytes:
    try:
        body = json.dumps(message, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except (ValueError, TypeError, RecursionError, UnicodeEncodeError) as exc:
        # e.g. an int too large for JSON (Python limits int-to-str conversion), a lone surrogate
        raise WireError(f"the value cannot be sent: {type(exc).__name__}: {str(exc)[:200]}") from None
    if len(body) > caps.max_bytes:
        raise WireError(f"the value is too large to send: a message of {len(body):,} bytes, "
                        f"over the limit of {caps.max_bytes:,}")
    check_structure(body, caps)
    return struct.pack(">I", len(body)) + body


def unpack_length(header: bytes, caps: Caps = REPLY_CAPS) -> int:
    if len(header) != 4:
        raise WireError("truncated message header")
    (n,) = struct.unpack(">I", header)
    if n > caps.max_bytes:
        raise WireError(f"message of {n:,} bytes is over the limit of {caps.max_bytes:,}")
    return n


# a JSON string, escapes included (unrolled, possessive: linear time on any input)
_JSON_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.S)
_BRACKETS = re.compile(rb"[\[\]{}]")


def check_structure(body: bytes, caps: Caps = REPLY_CAPS) -> None:
    """Refuse JSON with more values or deeper nesting than `caps` allow, on the raw bytes,
    before any object is built: decoding `[[],[],...]` or `[0,0,...]` would otherwise hold
    tens of bytes of objects per byte of message.

    What strings hold does not count; but blanking the strings only removes characters, so
    counts on the raw bytes bound the true ones from above: a message within the caps on its
    raw bytes (the usual case: arrays travel as base64, which holds none of `,:[{`) is within
    them, without the slower pass over its strings."""
    openers = body.count(b"[") + body.count(b"{")
    if body.count(b",") + body.count(b":") + openers + 1 <= caps.max_values and openers <= caps.max_depth:
        return
    bare = _JSON_STRING.sub(b'""', body)
    values = bare.count(b",") + bare.count(b":") + bare.count(b"[") + bare.count(b"{") + 1
    if values > caps.max_values:
        raise WireError(f"message of more than {caps.max_values:,} values")
    openers = bare.count(b"[") + bare.count(b"{")
    if openers > caps.max_depth:
        depth = 0
        for match in _BRACKETS.finditer(bare):  # at most 2 * max_values brackets
            depth += 1 if match.group() in (b"[", b"{") else -1
            if depth > caps.max_depth:
                raise WireError(f"message nested more than {caps.max_depth} levels deep")


def parse(body: bytes, caps: Caps = REPLY_CAPS) -> dict:
    if len(body) > caps.max_bytes:
        raise WireError(f"message of {len(body):,} bytes is over the limit of {caps.max_bytes:,}")
    check_structure(body, caps)
    try:
        msg = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError("message is not valid JSON") from exc
    if not isinstance(msg, dict):
        raise WireError("message is not an object")
    return msg
