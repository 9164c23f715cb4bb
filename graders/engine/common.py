"""Building blocks that many assignments' checks share.

Inputs are drawn by the grader (seeded per check), sent to the sandbox, and the answers
compared in the grader's process with the reference's.
"""

from __future__ import annotations

import numpy as np

from graders.engine import expect
from graders.engine.checks import Check, CheckFailed, Kind
from graders.engine.compare import assert_close, fmt


def away_from(rng: np.random.Generator, shape, low: float, high: float, kinks=(0.0,),
              margin: float = 1e-2) -> np.ndarray:
    """Uniform float64 samples in [low, high] with no entry within `margin` of a kink.

    Gradient checks use central differences with a step of 1e-5; a sample this far from
    every kink keeps both evaluation points on the same side of it.
    """
    x = rng.uniform(low, high, size=shape)
    for _ in range(100):
        near = np.zeros(x.shape, dtype=bool)
        for k in kinks:
            near |= np.abs(x - k) < margin
        if not near.any():
            return x
        x[near] = rng.uniform(low, high, size=int(near.sum()))
    raise RuntimeError("could not sample away from the kinks")


def render_inputs(**named) -> str:
    """'Inputs: z = [...], dout = [...]' for feedback (small arrays in full)."""
    return "Inputs: " + "; ".join(f"{k} = {fmt(v)}" for k, v in named.items())


def check_inputs_unchanged(ctx, function: str, args: tuple, kwargs: dict | None = None,
                           *, returns_value: bool = True, names: tuple | None = None) -> None:
    """Call `function` and fail if it modified any array argument in place.

    returns_value: the function must return something (a stub that returns None leaves its
    inputs unchanged too, and must not earn this check's points).
    names: the contract's names of the positional arguments, for the feedback; None for an
    argument that is the submission's own object (a cache its forward pass returned), which
    it may change as it likes.
    """
    kwargs = kwargs or {}
    value, args_after, kwargs_after = ctx.call_echo(function, *args, **kwargs)
    if returns_value and value is None:
        raise CheckFailed(f"{function} returned None, so whether it leaves its inputs unchanged "
                          "cannot be judged yet.", expected="the function's result", got="None",
                          slip="a missing `return`.")
    names = tuple(names) if names is not None else tuple(f"argument {i + 1}" for i in range(len(args)))
    for name, before, after in zip(names, args, args_after):
        if name is not None:
            _compare_unchanged(function, name, before, after)
    for key, before in kwargs.items():
        _compare_unchanged(function, key, before, kwargs_after.get(key))


def inputs_unchanged_check(function: str, make_args, names: tuple, *, points: float = 0.5,
                           returns_value: bool = True, needs: tuple | None = None):
    """The Check "<function>: leaves its inputs unchanged" (the contract: functions do not
    modify their inputs unless it says "in place").

    make_args(ctx) -> the positional arguments (it may call the submission first, e.g. for the
    cache a backward pass takes); names: as for `check_inputs_unchanged`.
    """
    def run(ctx):
        check_inputs_unchanged(ctx, function, tuple(make_args(ctx)), returns_value=returns_value,
                               names=names)
    return Check(f"{function}: leaves its inputs unchanged", run, points=points, kind=Kind.PROPERTY,
                 needs=None if needs is None else tuple(needs))


def assert_unchanged(function: str, name: str, before, after) -> None:
    """Fail, naming the argument, if `after` (an argument as it is after the call) differs from
    `before` (for a check that got the argument back another way, e.g. from a task)."""
    _compare_unchanged(function, name, before, after)


def _local_name(name: str) -> str:
    """How code names the argument locally: "X" for X, "W" for params['W'] (W = params["W"])."""
    if name.startswith("argument "):
        return "x"
    if name.endswith("']") and "['" in name:
        return name.rsplit("['", 1)[1][:-2]
    return name.split("[", 1)[0]


def _compare_unchanged(function: str, name: str, before, after) -> None:
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray) or after.shape != before.shape or not np.array_equal(
                after, before, equal_nan=True):
            changed = (int(np.sum(after != before)) if isinstance(after, np.ndarray)
                       and after.shape == before.shape else before.size)
            label = name if name.startswith("argument ") else f"argument {name}"
            base = _local_name(name)
            raise CheckFailed(
                f"{function} modified its {label} in place ({changed} of {before.size} entries changed): "
                "the caller's array, which the caller still uses afterwards.",
                expected="the input array left as it was", got="a modified input",
                slip=f"an in-place operation on the caller's array: `{base} += ...` (or -=, *=, "
                     f"{base}[...] = ..., np.exp({base}, out={base})) writes into the array that was passed "
                     f"in; write `{base} = {base} + ...` for a new array, or work on a copy "
                     f"({base} = {base}.copy()).")
    elif isinstance(before, dict):
        for key, value in before.items():
            _compare_unchanged(function, f"{name}[{key!r}]", value, (after or {}).get(key))
    elif isinstance(before, list) and all(isinstance(v, (str, int, float)) for v in before):
        if not isinstance(after, (list, tuple)) or list(after) != before:
            label = name if name.startswith("argument ") else f"argument {name}"
            base = name.split("[", 1)[0] if not name.startswith("argument ") else "x"
            raise CheckFailed(
                f"{function} modified its {label} in place: the caller's list, which the caller still "
                "uses afterwards.", expected=fmt_list(before), got=fmt_list(after),
                slip=f"a write into the caller's list (`{base}[i] = ...`, `{base}.append(...)`, "
                     f"`{base}.sort()`); build a new list instead (`{base} = [w.lower() for w in {base}]`).")


def check_array_values(ctx, function: str, args: tuple, expected: np.ndarray, *, tol: str = "value",
                       batch_size: int | None = None, show: dict | None = None) -> None:
    """Call function(*args), validate an array of the expected shape, compare with `expected`."""
    got = expect.array(ctx.call(function, *args), f"{function}(...)", expected.shape)
    assert_close(got, expected, f"{function}(...)", tol, batch_size=batch_size,
                 context=render_inputs(**show) if show else None)


def fmt_list(value, limit: int = 12) -> str:
    """A short list for feedback: its first `limit` items."""
    if not isinstance(value, (list, tuple)):
        return type(value).__name__
    shown = ", ".join(repr(v)[:40] for v in value[:limit])
    return f"[{shown}{', ...' if len(value) > limit else ''}]"
