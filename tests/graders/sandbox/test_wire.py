"""The wire format: plain data round-trips exactly; anything else becomes a handle or is refused;
hostile bytes can only ever raise WireError."""

from __future__ import annotations

import json
import math
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graders.sandbox import wire


def roundtrip(value, keep=None):
    return wire.decode(wire.parse(wire.pack({"v": wire.encode(value, keep)})[4:])["v"])


@pytest.mark.parametrize("value", [None, True, False, 0, -7, 2**62, 1.5, "text", "ünïcødé", [], [1, [2.5]],
                                   (1, "a"), {"a": 1, "b": [1.0]}])
def test_plain_values_round_trip_exactly(value):
    out = roundtrip(value)
    assert out == value and type(out) is type(value)


@pytest.mark.parametrize("x", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_round_trip(x):
    out = roundtrip(x)
    assert type(out) is float and (math.isnan(out) if math.isnan(x) else out == x)


@pytest.mark.parametrize("dtype", sorted(wire.ALLOWED_DTYPES))
def test_arrays_of_every_allowed_dtype_round_trip_bit_for_bit(dtype):
    a = (np.arange(12).reshape(3, 4) % 2 == 0) if dtype == "bool" else np.arange(12).reshape(3, 4).astype(dtype)
    out = roundtrip(a)
    assert type(out) is np.ndarray and out.dtype == a.dtype and out.shape == a.shape
    assert out.tobytes() == a.tobytes()


def test_big_endian_non_contiguous_and_zero_d_arrays_round_trip():
    a = np.arange(20, dtype=">f8").reshape(4, 5)[:, ::2]
    out = roundtrip(a)
    assert out.dtype == np.float64 and np.array_equal(out, a)
    assert roundtrip(np.float64(2.5)).shape == () and float(roundtrip(np.float64(2.5))) == 2.5


def test_ndarray_subclass_arrives_as_a_base_ndarray_with_its_data():
    class Lying(np.ndarray):
        def __eq__(self, other):
            return np.ones(self.shape, dtype=bool)

        def __array_ufunc__(self, *args, **kwargs):
            return np.zeros(self.shape)

    sent = np.full((2, 3), 7.0).view(Lying)
    out = roundtrip(sent)
    assert type(out) is np.ndarray
    assert np.array_equal(out, np.full((2, 3), 7.0))
    assert not np.array_equal(out, np.zeros((2, 3)))


@pytest.mark.parametrize("value", [
    type("F", (float,), {"__eq__": lambda self, o: True})(1.0),
    type("I", (int,), {})(3),
    type("L", (list,), {})([1]),
    type("D", (dict,), {})(a=1),
    object(),
    {1: "non-string key"},
])
def test_subclasses_and_other_objects_become_handles_or_are_refused(value):
    with pytest.raises(wire.WireError):
        wire.encode(value)
    handle = wire.Handle(5, "submission.Liar", "<x>")
    out = roundtrip(value, keep=lambda obj: handle)
    assert isinstance(out, wire.Handle) and out.id == 5


@pytest.mark.parametrize("a", [np.array([object()]), np.zeros(2, dtype=[("x", "f8")]),
                               np.array(["a"]), np.array([1], dtype="datetime64[s]")])
def test_arrays_of_other_dtypes_are_refused(a):
    with pytest.raises(wire.WireError):
        wire.encode(a)


def test_nesting_deeper_than_the_limit_is_refused():
    value = []
    for _ in range(wire.MAX_DEPTH + 2):
        value = [value]
    with pytest.raises(wire.WireError):
        wire.encode(value)


def test_unsendable_values_raise_wire_error_when_packed():
    with pytest.raises(wire.WireError):
        wire.pack({"v": 10**5000})


def test_grader_side_refuses_references_and_callables_from_the_child():
    with pytest.raises(wire.WireError):
        wire.decode({"$ref": 1})
    with pytest.raises(wire.WireError):
        wire.decode({"$callable": {"kind": "schedule", "spec": None}})


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe", b'{"a": 1e999999}' b"x", b"",
                                  b'{"a": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
                                  b'{"a": ' + b"9" * 10_000 + b"}"])
def test_parse_refuses_invalid_messages(body):
    with pytest.raises(wire.WireError):
        wire.parse(body)


def test_length_header_over_the_limit_is_refused():
    with pytest.raises(wire.WireError):
        wire.unpack_length(struct.pack(">I", wire.MAX_MESSAGE_BYTES + 1))
    with pytest.raises(wire.WireError):
        wire.unpack_length(b"\0\0")


@pytest.mark.parametrize("data", [
    {"$array": {"dtype": "float64", "shape": [3], "b64": "AAAA"}},
    {"$array": {"dtype": "object", "shape": [1], "b64": ""}},
    {"$array": {"dtype": "float64", "shape": [-1], "b64": ""}},
    {"$array": {"dtype": "float64", "shape": [1], "b64": "!!!"}},
    {"$float": "1.0"}, {"$tuple": {}}, {"$dict": []}, {"$handle": {"id": "x"}}, {"$unknown": 1},
    {"a": 1, "b": 2},
])
def test_malformed_values_raise_wire_error(data):
    with pytest.raises(wire.WireError):
        wire.decode(data)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["$float", "$tuple", "$dict", "$array", "$handle", "$ref", "$callable", "dtype",
                         "shape", "b64", "id", "x"]), inner, max_size=3),
    max_leaves=12)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(JSONISH)
def test_decoding_arbitrary_json_raises_only_wire_error(data):
    try:
        wire.decode(data)
    except wire.WireError:
        pass


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.binary(max_size=64))
def test_parsing_arbitrary_bytes_raises_only_wire_error(body):
    try:
        msg = wire.parse(body)
    except wire.WireError:
        return
    assert isinstance(msg, dict)
    json.dumps(msg)


# ---------------------------------------------------------------- bounded decoding


def test_a_header_over_the_reply_cap_is_refused_before_reading_the_body():
    with pytest.raises(wire.WireError, match="over the limit"):
        wire.unpack_length(struct.pack(">I", wire.REPLY_CAPS.max_bytes + 1))
    assert wire.unpack_length(struct.pack(">I", wire.REPLY_CAPS.max_bytes + 1), wire.REQUEST_CAPS) > 0


@pytest.mark.parametrize("body", [
    b'{"v":[' + b"0," * 200_001 + b"0]}",
    b'{"v":[' + b"[]," * 200_001 + b"[]]}",
    b'{"v":{' + b",".join(b'"k%d":0' % i for i in range(100_001)) + b"}}",
], ids=["numbers", "empty lists", "keys"])
def test_too_many_json_values_are_refused_on_the_raw_bytes(body):
    with pytest.raises(wire.WireError, match="values"):
        wire.parse(body)


def test_nesting_deeper_than_the_cap_is_refused_on_the_raw_bytes():
    deep = wire.REPLY_CAPS.max_depth + 1
    with pytest.raises(wire.WireError, match="nested"):
        wire.parse(b'{"v":' + b"[" * deep + b"]" * deep + b"}")
    wire.parse(b'{"v":' + b"[" * 10 + b"]" * 10 + b"}")


def test_brackets_and_commas_inside_strings_do_not_count():
    text = "[{,:" * 300_000 + '\\"quoted\\"'
    assert wire.parse(json.dumps({"v": text}).encode())["v"] == text


def test_array_bytes_are_counted_against_the_budget_before_any_is_built():
    arrays = [wire.encode(np.zeros(1000)) for _ in range(3)]  # 8,000 bytes each
    with pytest.raises(wire.WireError, match="budget"):
        wire.decode(arrays, budget=wire.ArrayBudget(20_000))
    assert len(wire.decode(arrays, budget=wire.ArrayBudget(24_000))) == 3
    claims = {"$array": {"dtype": "float64", "shape": [1 << 40], "b64": "AAAA"}}
    with pytest.raises(wire.WireError, match="budget"):
        wire.decode(claims)


def test_the_caps_hold_what_the_references_send_with_a_wide_margin():
    # the largest legitimate reply (benchmarks/bench_wire.py): 0.64 MB, 8,016 values, nesting 8
    assert wire.REPLY_CAPS.max_bytes >= 20 * 640_315
    assert wire.REPLY_CAPS.max_values >= 20 * 8_016
    assert wire.REPLY_CAPS.max_depth >= 8 * 8
    assert wire.REQUEST_CAPS.max_bytes >= 6 * 5 * 1024 * 1024  # 5 MB of cells, escaped


def test_a_reply_over_the_cap_is_refused_by_the_senders_pack():
    with pytest.raises(wire.WireError, match="too large to send"):
        wire.pack({"v": "x" * (wire.REPLY_CAPS.max_bytes + 1)})


def _verdict_with_strings_blanked(body: bytes, caps: wire.Caps) -> bool:
    """The structure check done the long way: every string blanked first, then counted."""
    bare = wire._JSON_STRING.sub(b'""', body)
    depth = deepest = 0
    for byte in bare:
        depth += {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}.get(byte, 0)
        deepest = max(deepest, depth)
    values = sum(bare.count(c) for c in (b",", b":", b"[", b"{")) + 1
    return values <= caps.max_values and deepest <= caps.max_depth


_JSON = st.recursive(st.none() | st.integers() | st.text(alphabet='[]{},:"\\ab'),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text("{:,a"), inner, max_size=3),
                     max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(_JSON, st.integers(1, 30), st.integers(1, 6))
def test_counting_on_the_raw_bytes_first_gives_the_verdict_of_blanking_the_strings(value, max_values, max_depth):
    caps = wire.Caps(max_bytes=1 << 20, max_values=max_values, max_depth=max_depth, max_array_bytes=0)
    body = json.dumps({"v": value}).encode()
    try:
        wire.check_structure(body, caps)
        accepted = True
    except wire.WireError:
        accepted = False
    assert accepted == _verdict_with_strings_blanked(body, caps)
