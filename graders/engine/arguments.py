"""Arguments for calls into the sandbox, shared by the NumPy assignments' checks.

What comes back from a call is plain data (arrays, numbers, lists, tuples, dicts) or, for
any other object the submission returned, a `Handle` to the object that stays in the
sandbox. A backward pass is fed the cache its own forward pass returned, unchanged:
`as_argument` turns every handle in it into a reference to the same object.
"""

from __future__ import annotations

import numpy as np

from graders.sandbox import wire


def as_argument(value):
    """A value that came back from the sandbox, ready to be sent back unchanged: every
    Handle (an object kept in the sandbox) inside it becomes a reference to that object."""
    if isinstance(value, wire.Handle):
        return wire.Ref(value)
    if type(value) is list:
        return [as_argument(v) for v in value]
    if type(value) is tuple:
        return tuple(as_argument(v) for v in value)
    if type(value) is dict:
        return {k: as_argument(v) for k, v in value.items()}
    return value


def copy_params(params: dict) -> dict:
    """A fresh float64 copy of every array of a parameter (or gradient) dict."""
    return {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
