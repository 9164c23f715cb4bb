"""Symbolic and numeric answer checking (SymPy), safe against hostile answer text.

- `parse.parse_answer(text, symbols)`: a restricted parser (an `ast` whitelist; never
  `sympify`, `parse_expr` or `eval`) from answer text to a SymPy expression or tuple.
- `compare.equivalent(answer, expected, symbols, ...)`: `simplify(a - b) == 0`, backed by
  evaluation at random points; reports a point where two expressions differ.
- `checks.check(spec, answer, qid)`: one answer against one key entry (`Spec`, with its
  table of `Slip`s) -> `Verdict(passed, message, slip)`.
- `plain.to_plain(value)`: what the sandbox sends for a submission's answer objects.
"""

from .checks import AnswerError, Slip, Spec, Verdict, check, normalize
from .compare import Equivalence, equivalent, evaluate, sample_points
from .parse import ParseError, parse_answer
from .plain import to_plain

__all__ = [
    "AnswerError", "Slip", "Spec", "Verdict", "check", "normalize",
    "Equivalence", "equivalent", "evaluate", "sample_points",
    "ParseError", "parse_answer", "to_plain",
]
