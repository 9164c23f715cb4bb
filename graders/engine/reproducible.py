"""Judge only what the submission reproduces.

A check that measures a result of the submission's own randomness (the parameters its
init_params draws, the order its train shuffles in, the model a calibrated training
returns) gives the same verdict on every run only when that result is the same on every
run. A submission that ignores the seed (np.random.default_rng() without it, NumPy's
global generator) trains a different model each time: its trained metric would pass on
one grade and fail on the next, and a question about those parameters to the reference
could never be answered from a recording of an earlier grade. So such checks first run a
small, cheap call of the submission twice with the same seed (once per grade, shared by
every check that asks) and, when the two replies differ, fail as "not judged", pointing
to the reproducibility check that names the slip. A run that fails outright is left to
the checks that judge it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from graders.engine.checks import CheckFailed
from graders.sandbox.errors import SandboxCrashed, StudentError


def same_plain(a, b) -> bool:
    """Whether two plain replies of the sandbox (numbers, strings, arrays, and lists, tuples
    and dicts of them) are equal, element for element (NaN equal to NaN)."""
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
                and all(same_plain(a[k], b[k]) for k in a))
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(same_plain(u, v) for u, v in zip(a, b)))
    if isinstance(a, (str, bytes)) or isinstance(b, (str, bytes)) or a is None or b is None:
        return type(a) is type(b) and a == b
    x, y = np.asarray(a), np.asarray(b)
    if x.dtype == object or y.dtype == object:
        return x.shape == y.shape and all(same_plain(u, v) for u, v in zip(x.ravel(), y.ravel()))
    return x.shape == y.shape and bool(np.array_equal(x, y, equal_nan=x.dtype.kind in "fc" and y.dtype.kind in "fc"))


def require_reproducible(ctx, what: str, run: Callable[[], object], *, see: str) -> None:
    """Raise CheckFailed ("not judged") when two calls of `run` (the same call of the
    submission, with the same seed) return different replies.

    what: the call, as the feedback shows it ("train(X, 8, ..., seed=3)").
    see: the check that names the slip ("init_params: reproducible from the seed").
    """
    def probe() -> bool:
        try:
            return same_plain(run(), run())
        except (CheckFailed, StudentError, SandboxCrashed):
            return True  # a run that fails is judged by the checks of that function
    if ctx.shared(("reproducible", what), probe):
        return
    raise CheckFailed(
        f"not judged: {what} is not reproducible (two calls with the same seed returned different results), "
        "so this check would give another verdict on every run.",
        expected="the same result for the same seed", got="different results",
        slip=f"all randomness must come from the seed (np.random.default_rng(seed)); see '{see}'.")
