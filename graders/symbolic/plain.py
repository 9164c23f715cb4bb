"""Turning a submission's answer objects into plain data, in the process that holds them.

The grader process only receives plain data from the sandbox. `to_plain` is what the
child process applies to each value of a submission's `ANSWERS` before sending it: SymPy
objects become their `srepr` text (read back by the restricted parser, never by
`sympify`), arrays and tensors become (nested) lists, tuples stay tuples. It uses only
the standard library and duck typing, so a sandbox task file may copy it as is.
"""

from __future__ import annotations

import fractions
import sys

__all__ = ["to_plain"]


def to_plain(value, _depth: int = 0):
    """A plain-data copy of `value`: None, bool, int, float, str, and tuples/lists/dicts of those."""
    if _depth > 20:
        raise ValueError("answer nested too deeply")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    sympy = sys.modules.get("sympy")
    if sympy is not None and isinstance(value, sympy.MatrixBase):
        return to_plain(value.tolist(), _depth + 1)
    if sympy is not None and isinstance(value, sympy.Basic):
        return sympy.srepr(value)
    if isinstance(value, fractions.Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, tuple):  # includes torch.Size
        return tuple(to_plain(v, _depth + 1) for v in value)
    if isinstance(value, list):
        return [to_plain(v, _depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v, _depth + 1) for k, v in value.items()}
    if hasattr(value, "tolist"):  # numpy arrays and scalars, torch tensors
        return to_plain(value.tolist(), _depth + 1)
    return str(value)
