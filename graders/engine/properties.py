"""Property-based checks with Hypothesis, derandomised so a grade is reproducible.

`check_property(prop, strategies...)` runs `prop(*example)` on examples Hypothesis draws;
`prop` raises `CheckFailed` (or lets a `StudentError` through) when the property fails.
Hypothesis then shrinks the failing example, and the smallest failing input is added
to the feedback, so a student gets the simplest case that shows the bug.

Grading writes nothing into the working directory (often the folder of the students'
uploads): examples are not saved (`database=None`), and Hypothesis's own caches (the
constants it collects from local modules, its Unicode tables) go to `hypothesis_home()`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import Flaky
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from graders.engine.checks import CheckFailed
from graders.sandbox.errors import SandboxCrashed, StudentError


def floats_array(shape, low: float = -10.0, high: float = 10.0, avoid=(), margin: float = 1e-3):
    """A strategy for float64 arrays of `shape` with entries in [low, high].

    avoid: points (kinks) that no entry may be within `margin` of.
    """
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    if avoid:
        elements = elements.filter(lambda x: all(abs(x - k) > margin for k in avoid))
    return hnp.arrays(np.float64, shape, elements=elements)


def matrix_shapes(max_rows: int = 6, max_cols: int = 6):
    """Shapes (N, D) with 1 <= N, D <= the bounds."""
    return st.tuples(st.integers(1, max_rows), st.integers(1, max_cols))


def render_example(args: tuple) -> str:
    parts = []
    for a in args:
        if isinstance(a, np.ndarray):
            parts.append(np.array2string(a, precision=6, separator=", ", threshold=40))
        else:
            parts.append(repr(a))
    return ", ".join(parts)


def hypothesis_home() -> Path:
    """Hypothesis's storage while grading: HYPOTHESIS_STORAGE_DIRECTORY when set, else
    dlgrade's folder in the user's cache ($XDG_CACHE_HOME or ~/.cache), where Hypothesis
    would otherwise use `.hypothesis/` in the working directory."""
    configured = os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY")
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "dlgrade" / "hypothesis"


def check_property(prop: Callable, *strategies, max_examples: int = 30,
                   render: Callable[[tuple], str] = render_example) -> None:
    """Raise CheckFailed with the shrunk counterexample if `prop` fails on any example."""
    set_hypothesis_home_dir(hypothesis_home())
    failures: list[tuple[tuple, CheckFailed]] = []
    crash: list[SandboxCrashed] = []

    @settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=(Phase.generate, Phase.shrink),
              print_blob=False, report_multiple_bugs=False)
    @given(st.tuples(*strategies))
    def run(args):
        if crash:
            raise crash[0]
        try:
            prop(*args)
        except CheckFailed as exc:
            failures.append((args, exc))
            raise
        except StudentError as exc:
            failed = CheckFailed(f"your code raised an exception on this input: {exc.describe()}")
            failures.append((args, failed))
            raise failed from None
        except SandboxCrashed as exc:
            crash.append(exc)
            raise

    try:
        run()
    except Flaky:
        # the submission failed an example, then passed it on replay (hidden state or
        # unseeded randomness): report the first failure, and that it is not reproducible
        if not failures:
            raise CheckFailed("the property gave different results on the same input "
                              "(hidden state or unseeded randomness in your code).") from None
        args, exc = failures[0]
        note = ("Failing input: " + render(args) + "\n(the same input passed when tried again: "
                "your code keeps state between calls or uses unseeded randomness)")
        exc.details = f"{exc.details}\n{note}" if exc.details else note
        raise exc from None
    except SandboxCrashed:
        raise crash[0] if crash else SandboxCrashed("the sandbox stopped") from None
    except CheckFailed:
        args, exc = failures[-1]
        example = "Smallest failing input found: " + render(args)
        exc.details = f"{exc.details}\n{example}" if exc.details else example
        raise exc from None
