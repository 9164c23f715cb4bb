"""A reference module answered from a recording: what a student pack grades against.

Checks compare a submission with the reference module, which they call in the grader's
process (`ref.softmax(z)`). A student pack carries no reference code: `dlgrade student-pack`
grades the reference with the visible checks while recording every call the checks make
into the reference module as (function, digest of its inputs) -> output, and the pack's
stand-in module answers the same calls from that recording. The checks' inputs are drawn
from an RNG seeded by the check's name, so the self-check asks the same questions.

Everything recorded is plain data: float64 (or other numeric) arrays, numbers, strings,
None, and tuples, lists and dicts of them, kept as JSON plus one `.npz` of arrays read with
`allow_pickle=False`. A call whose inputs were not recorded (a submission that leads a
check down a path the recorded grades never took) raises `NeedsFullGrader`, a
`CheckFailed` that fails that one check and says so. A reference function that changes an
argument in place (an optimiser step) is recorded with the argument's value afterwards, and
the replay writes that value back into the caller's argument.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np

from graders.engine.checks import CheckFailed

FORMAT = 1


class Unrecordable(TypeError):
    """A value that is not plain data (an object, a function, an object array)."""


class NeedsFullGrader(CheckFailed):
    """A question to the reference that the pack's recording cannot answer."""

    def __init__(self, what: str):
        super().__init__(
            f"This check needs the full grader: {what}. The self-check can only ask the questions the "
            "recorded grade asked; the autograder runs this check in full when you submit.",
            slip="none identified: this is a limit of the self-check, not necessarily a fault in your code.")


# ------------------------------------------------------------------ digests of inputs


def digest(value) -> str:
    """A hex digest of `value`'s exact content (dtype, shape and bytes of arrays included);
    Unrecordable for anything that is not plain data or a NumPy Generator (its state)."""
    h = hashlib.sha256()
    _feed(h, value)
    return h.hexdigest()


def _feed(h, value) -> None:
    if value is None:
        h.update(b"N;")
    elif isinstance(value, (bool, np.bool_)):
        h.update(b"B1;" if value else b"B0;")
    elif isinstance(value, (int, np.integer)):
        h.update(b"I%d;" % int(value))
    elif isinstance(value, (float, np.floating)):
        h.update(b"F" + float(value).hex().encode() + b";")
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
        h.update(b"S%d:" % len(data) + data)
    elif isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise Unrecordable("an array of Python objects")
        h.update(f"A{value.dtype.str}{value.shape}:".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, (tuple, list)):
        h.update(b"T%d(" % len(value) if isinstance(value, tuple) else b"L%d[" % len(value))
        for item in value:
            _feed(h, item)
    elif isinstance(value, dict):
        h.update(b"D%d{" % len(value))
        for key in sorted(value, key=repr):
            _feed(h, key)
            _feed(h, value[key])
    elif isinstance(value, np.random.Generator):
        h.update(b"G")
        _feed(h, generator_state(value))
    else:
        raise Unrecordable(f"a {type(value).__name__}")


def generator_state(generator: np.random.Generator) -> dict:
    state = generator.bit_generator.state
    return json.loads(json.dumps(state, default=int))  # plain ints, whatever the bit generator


# ------------------------------------------------------------------ plain data <-> JSON and arrays


def encode(value, arrays: list):
    """`value` as JSON-able data, its arrays appended to `arrays` (referred to by index)."""
    if isinstance(value, (np.ndarray, np.generic)):  # first: np.float64 is also a float
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise Unrecordable("an array of Python objects")
        arrays.append(array)
        return {"array": len(arrays) - 1, "scalar": isinstance(value, np.generic)}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"int": str(value)} if abs(value) >= 2 ** 53 else value
    if isinstance(value, float):  # JSON has no inf or nan, and 0.0 would lose its sign
        return {"float": value.hex()} if not math.isfinite(value) or value == 0 else value
    if isinstance(value, tuple):
        return {"tuple": [encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return {"list": [encode(v, arrays) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[encode(k, arrays), encode(v, arrays)] for k, v in value.items()]}
    raise Unrecordable(f"a {type(value).__name__}")


def decode(data, arrays):
    """The value `encode` wrote, with fresh copies of its arrays."""
    if data is None or isinstance(data, (bool, str, int, float)):
        return data
    if "int" in data:
        return int(data["int"])
    if "float" in data:
        return float.fromhex(data["float"])
    if "array" in data:
        array = np.array(arrays[data["array"]])
        return array[()] if data["scalar"] else array
    if "tuple" in data:
        return tuple(decode(v, arrays) for v in data["tuple"])
    if "list" in data:
        return [decode(v, arrays) for v in data["list"]]
    return {decode(k, arrays): decode(v, arrays) for k, v in data["dict"]}


def write_back(target, value) -> None:
    """Make the caller's mutable argument `target` equal to `value`, in place."""
    if isinstance(target, np.ndarray):
        target[...] = value
    elif isinstance(target, dict):
        for key in list(target):
            if key not in value:
                del target[key]
        for key, new in value.items():
            old = target.get(key)
            if isinstance(old, (np.ndarray, dict, list)) and type(old) is type(new) and (
                    not isinstance(old, np.ndarray) or old.shape == new.shape):
                write_back(old, new)
            else:
                target[key] = new
    elif isinstance(target, list):
        target[:] = value
    elif isinstance(target, np.random.Generator):
        target.bit_generator.state = value


# ------------------------------------------------------------------ the stand-in's answers


class Recording:
    """What the recorded grades asked the reference module and what it answered.

    calls: {function name: {digest of (args, kwargs): {"output": ..., "changed": [[path, value]]}}}
    constants: {attribute name: value}, the module's plain-data attributes the checks read.
    """

    def __init__(self, module: str, calls: dict, constants: dict, arrays):
        self.module = module
        self.calls = calls
        self.constants = constants
        self.arrays = arrays

    @classmethod
    def load(cls, stem: Path) -> Recording:
        """The recording in `stem`.json and `stem`.npz."""
        meta = json.loads(Path(f"{stem}.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{stem}.json: recording format {meta.get('format')!r}, expected {FORMAT}")
        with np.load(f"{stem}.npz", allow_pickle=False) as archive:
            arrays = [archive[f"a{i}"] for i in range(len(archive.files))]
        return cls(meta["module"], meta["calls"], meta["constants"], arrays)

    def save(self, stem: Path) -> None:
        meta = {"format": FORMAT, "module": self.module, "calls": self.calls, "constants": self.constants}
        Path(f"{stem}.json").write_text(json.dumps(meta, sort_keys=True), encoding="utf-8")
        np.savez_compressed(f"{stem}.npz", **{f"a{i}": a for i, a in enumerate(self.arrays)})

    def attribute(self, name: str):
        """The module attribute `name`: a recorded function or a recorded constant."""
        if name in self.calls:
            return RecordedFunction(self, name)
        if name in self.constants:
            return decode(self.constants[name], self.arrays)
        raise AttributeError(f"module {self.module!r} has no recorded attribute {name!r}")

    def answer(self, name: str, args: tuple, kwargs: dict):
        try:
            key = digest((args, kwargs))
        except Unrecordable as exc:
            raise NeedsFullGrader(f"it calls the reference's `{name}` with {exc}") from None
        entry = self.calls[name].get(key)
        if entry is None:
            raise NeedsFullGrader(f"your code led it to ask the reference's `{name}` about inputs the "
                                  "pack did not record")
        for path, value in entry.get("changed", ()):
            write_back(_argument(args, kwargs, path), decode(value, self.arrays))
        return decode(entry["output"], self.arrays)


def _argument(args: tuple, kwargs: dict, path):
    """The argument at `path`: [0, 2] is args[2], [1, "lr"] is kwargs["lr"]."""
    return args[path[1]] if path[0] == 0 else kwargs[path[1]]


class RecordedFunction:
    """A reference function as the stand-in module offers it: answers from the recording."""

    def __init__(self, recording: Recording, name: str):
        self._recording = recording
        self.__name__ = self.__qualname__ = name

    def __call__(self, *args, **kwargs):
        return self._recording.answer(self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<recorded {self._recording.module}.{self.__name__}>"
