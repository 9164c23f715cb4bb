"""Sandbox task of `theory`: the submission's ANSWERS as plain data.

Loaded by file path inside the sandbox before the submission runs, so it imports only the
standard library (no project imports, no relative imports). SymPy is not imported here:
`to_plain` uses it only when the submission has imported it (`sys.modules`). The grader
parses the strings this returns with its restricted parser, in its own process; nothing
here evaluates anything.
"""

import fractions
import sys

# The grader reads at most this many characters of one answer (graders.symbolic.parse.MAX_CHARS
# is 2,000); longer text is cut here so that a huge answer cannot flood the wire.
MAX_TEXT = 10_000
MAX_ITEMS = 100


# A copy of graders.symbolic.plain.to_plain (tests/graders/assignments/test_theory.py checks
# that the two agree).
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


def _odd_type(value, _depth: int = 0):
    """The type name of the first part of `value` that to_plain would only turn into str(), or None."""
    sympy = sys.modules.get("sympy")
    if value is None or isinstance(value, (bool, int, float, str, fractions.Fraction)) or hasattr(value, "tolist"):
        return None
    if sympy is not None and isinstance(value, (sympy.Basic, sympy.MatrixBase)):
        return None
    if isinstance(value, (tuple, list)) and _depth < 2:
        return next((t for t in (_odd_type(v, _depth + 1) for v in value[:MAX_ITEMS]) if t), None)
    if isinstance(value, (tuple, list)):
        return None
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _bounded(value):
    """Cut or refuse answers far larger than any question needs (the grader reads them)."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT]
    if isinstance(value, (tuple, list)):
        if len(value) > MAX_ITEMS:
            raise ValueError(f"the answer has {len(value)} items; no question asks for more than {MAX_ITEMS}")
        return type(value)(_bounded(v) for v in value)
    return value


def task_answers(sub, question_ids=None):
    """The submission's ANSWERS as plain data.

    Returns {"answers": {question id: plain value}, "problems": {question id: message},
    "keys": [every key of ANSWERS, as text]} — only the ids in `question_ids` when given —
    or {"error": message} when ANSWERS is missing or is not a dict. A value that cannot be
    converted becomes a problem of its own question, never of the others.
    """
    if not hasattr(sub, "ANSWERS"):
        return {"error": "`ANSWERS` is not defined in your submission: define ANSWERS = {} and fill it "
                         "with one entry per question id."}
    answers = getattr(sub, "ANSWERS")
    if not isinstance(answers, dict):
        return {"error": f"ANSWERS must be a dict (question id -> answer), not {type(answers).__name__}."}
    keys = [str(key)[:100] for key in list(answers)[:1000]]  # for "did you mean" on a missing id
    wanted = None if question_ids is None else set(question_ids)
    plain, problems = {}, {}
    for key, value in list(answers.items()):
        qid = str(key)
        if wanted is not None and qid not in wanted:
            continue
        odd = _odd_type(value)
        if odd:
            problems[qid] = (f"its value is a {odd} object, which can't be graded; give a number, a tuple "
                             "or list, a string or a SymPy expression")
            continue
        try:
            plain[qid] = _bounded(to_plain(value))
        except Exception as exc:  # noqa: BLE001 - any odd object: report it on its own question
            problems[qid] = f"its value ({type(value).__name__}) could not be read: {type(exc).__name__}: {exc}"
    return {"answers": plain, "problems": problems, "keys": keys}
