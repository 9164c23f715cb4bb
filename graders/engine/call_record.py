"""An opt-in record of what a grade's checks sent to the sandbox and what came back.

`grade(..., record_calls=CallRecorder())` digests each (call, reply) pair of the grade in
order, in the grader's process: the check, the function or task called, its arguments and
the decoded reply (or the kind of error it raised). Two submissions whose records are the
same returned the same values on every call the checks made: for the checks, they are the
same program (`graders.tooling` marks an automatic mutant with the reference's record as
likely equivalent).

Floats are compared to about 12 significant digits (their mantissas rounded to 2**-40), so
that a harmless reordering of a sum does not make two programs look different; NaN and
infinities are kept apart; a task's measurements of time (`TIMING_KEYS`) are left out. The
record is bounded: the first `max_calls` digests are kept,
and a running hash per check covers them all (so the order the checks ran in does not
matter, only the order of each check's own calls).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

MANTISSA_STEPS = 2.0 ** 40  # floats equal to about 12 significant digits digest the same
# Entries of a task's reply that measure time (a trained task's CPU seconds): they differ on
# every run, whatever the program, so they are left out of the digest.
TIMING_KEYS = frozenset({"cpu", "cpu_s", "cpu_seconds", "seconds", "task_cpu_seconds", "time_s", "wall_s"})


@dataclass(frozen=True)
class CallDigest:
    """One (call, reply) pair: the check that made it, what it called, and the pair's digest."""

    check: str
    what: str
    digest: str


class CallRecorder:
    """The digests of a grade's sandbox calls, in order (see the module's docstring)."""

    def __init__(self, max_calls: int = 20_000):
        self.max_calls = max_calls
        self.calls: list[CallDigest] = []
        self.count = 0
        self._by_check: dict[str, tuple] = {}  # check -> (running hash of its calls, their number)

    def add(self, check: str, what: str, sent, reply=None, error: BaseException | None = None) -> None:
        """Record one call: `sent` its arguments, `reply` its decoded value, or `error` what
        it raised instead (only the error's kind counts: messages may hold addresses)."""
        h = hashlib.blake2b(digest_size=16)
        h.update(what.encode("utf-8", "backslashreplace"))
        _feed(h, sent)
        if error is not None:
            h.update(b"\x00raised:" + _error_kind(error).encode("utf-8", "backslashreplace"))
        else:
            h.update(b"\x00returned:")
            _feed(h, reply)
        digest = h.hexdigest()
        self.count += 1
        running, count = self._by_check.get(check) or (hashlib.blake2b(digest_size=16), 0)
        running.update(digest.encode("ascii"))
        self._by_check[check] = (running, count + 1)
        if len(self.calls) < self.max_calls:
            self.calls.append(CallDigest(check, what, digest))

    def by_check(self) -> dict[str, str]:
        """For each check that made calls, one digest of its calls in order, and how many."""
        return {check: f"{running.hexdigest()}:{count}" for check, (running, count) in self._by_check.items()}

    def fingerprint(self) -> str:
        """One digest of every check's calls (whatever order the checks ran in)."""
        h = hashlib.blake2b(digest_size=16)
        for check, digest in sorted(self.by_check().items()):
            h.update(f"{check}\x00{digest}\x00".encode("utf-8", "backslashreplace"))
        return f"{h.hexdigest()}:{self.count}"

    def summary(self) -> dict:
        """Plain data (for another process): the fingerprint, each check's digest, and the
        kept digests of the calls."""
        return {"fingerprint": self.fingerprint(), "checks": self.by_check(),
                "calls": [(c.check, c.what, c.digest) for c in self.calls]}


def first_difference(ours: dict, theirs: dict) -> str | None:
    """Where two recorders' summaries first differ ("check: call"), or None when they are the
    same record. Checks are compared in the order `theirs` ran them."""
    if ours["fingerprint"] == theirs["fingerprint"]:
        return None
    order = list(dict.fromkeys([c[0] for c in theirs["calls"]] + list(theirs["checks"]) + list(ours["checks"])))
    for check in order:
        if ours["checks"].get(check) == theirs["checks"].get(check):
            continue
        mine = [c for c in ours["calls"] if c[0] == check]
        other = [c for c in theirs["calls"] if c[0] == check]
        for a, b in zip(mine, other):
            if tuple(a) != tuple(b):
                return f"{check}: {a[1]}" if a[1] == b[1] else f"{check}: {a[1]} (the calls themselves differ)"
        if len(mine) != len(other):
            return f"{check}: {'more' if len(mine) > len(other) else 'fewer'} calls than the reference's"
        return f"{check}: beyond the calls kept"
    return "beyond the calls kept"


def _error_kind(error: BaseException) -> str:
    return f"{type(error).__name__}:{getattr(error, 'type_name', '')}"


def _feed(h, value, depth: int = 0) -> None:
    """Feed a canonical form of a decoded value (numbers, arrays, strings, containers,
    handles) into the hash `h`."""
    if depth > 32:
        h.update(b"<deep>")
        return
    if value is None or isinstance(value, (bool, str, bytes)):
        h.update(f"{type(value).__name__}:".encode() + (value if isinstance(value, bytes) else
                                                         str(value).encode("utf-8", "backslashreplace")))
    elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        h.update(b"int:" + str(int(value)).encode())
    elif isinstance(value, (float, np.floating)):
        _feed_floats(h, np.asarray(float(value)))
    elif isinstance(value, np.ndarray):
        h.update(f"array{value.shape}:{value.dtype.kind}:".encode())
        if value.dtype.kind in "fc":
            _feed_floats(h, value.real.astype(np.float64))
            if value.dtype.kind == "c":
                _feed_floats(h, value.imag.astype(np.float64))
        elif value.dtype.kind in "biu":
            h.update(np.ascontiguousarray(value.astype(np.int64)).tobytes())
        else:
            h.update(repr(value.tolist()).encode("utf-8", "backslashreplace"))
    elif isinstance(value, (list, tuple)):
        h.update(f"{type(value).__name__}[{len(value)}]".encode())
        for item in value:
            _feed(h, item, depth + 1)
    elif isinstance(value, dict):
        keys = sorted((k for k in value if k not in TIMING_KEYS), key=repr)
        h.update(f"dict[{len(keys)}]".encode())
        for key in keys:
            _feed(h, key, depth + 1)
            _feed(h, value[key], depth + 1)
    elif hasattr(value, "type") and hasattr(value, "id") and type(value).__name__ == "Handle":
        h.update(f"handle:{value.type}".encode("utf-8", "backslashreplace"))  # ids depend on the process
    else:
        h.update(f"{type(value).__name__}:{value!r}"[:1000].encode("utf-8", "backslashreplace"))


def _feed_floats(h, a: np.ndarray) -> None:
    a = np.asarray(a, dtype=np.float64)
    finite = np.isfinite(a)
    mantissa, exponent = np.frexp(np.where(finite, a, 0.0))
    rounded = np.round(mantissa * MANTISSA_STEPS)
    # a mantissa rounded up to 1.0 is the next power of two: renormalise so both spell it alike
    carry = np.abs(rounded) >= MANTISSA_STEPS
    rounded = np.where(carry, rounded / 2, rounded)
    exponent = np.where(carry, exponent + 1, exponent)
    kinds = np.where(finite, 0, np.where(np.isnan(a), 1, np.where(a > 0, 2, 3))).astype(np.int8)
    h.update(np.ascontiguousarray(rounded.astype(np.int64)).tobytes())
    h.update(np.ascontiguousarray(np.where(rounded == 0, 0, exponent).astype(np.int64)).tobytes())
    h.update(kinds.tobytes())

