"""Sealed answer keys: check an answer against a `Spec` without carrying its expected value.

`seal(spec, qid, salt)` turns one key entry into plain JSON data that holds no expected value
in any readable form; `check_sealed(sealed, answer, qid)` gives the verdict `check(spec,
answer, qid, reveal=False)` gives, from that data alone. A student pack carries sealed
entries of its visible questions instead of the answer key.

How a value is recognised: each element of an answer (a number, one item of a tuple, a
formula) is reduced to a canonical text, and that text is hashed with PBKDF2-HMAC-SHA256
(a random salt per pack, `ITERATIONS` rounds: a few milliseconds a hash, so a check takes
some milliseconds to some tens of them, while trying a large space of values takes hours).
The sealed entry holds the hashes of the right canonical texts:

    int      the whole number ("i:1216")
    string   the word as `normalize` gives it, and each `accept` spelling
    number   the tolerance's grid cells: with step = tolerance / CELLS_PER_TOLERANCE, the answer
             v is in cell round(v / step), and every cell whose centre lies within the
             tolerance of the expected value is hashed. So an answer within step / 2 of the
             tolerance's edge may get the other verdict than the full grader's (the band
             [tol - step/2, tol + step/2] around |answer - expected| = tol, step/2 = tol/256);
             no known slip lies in it (tests/graders/symbolic/test_sealed.py). Slips are
             matched on a coarser grid (SLIP_CELLS_PER_TOLERANCE), which only changes feedback.
    expr     the formula's value at each of the full grader's points (those where the expected
             formula is defined and real), rounded to DIGITS significant digits (absolute 1e-12
             below 1); a point whose value is near a rounding edge is hashed both ways. The
             first point whose hash differs is "a point where the answer is wrong" (the full
             grader's first counterexample); its expected value is never shown.

A named slip's feedback is encrypted (SHA-256 keystream) under a key made of one share per
element: each share is stored once per canonical text the slip's element takes (for a
number, every cell within twice the tolerance, as the full grader's slip match), XORed with
a key derived from that text's hash. Only an answer that is the slip reads its feedback.

What it cannot protect: a space small enough to try by hand (a word, a shape, a count) is
found by trying, exactly as the autograder's visible feedback lets a student find it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import secrets
from fractions import Fraction

import mpmath
import sympy

from .checks import AnswerError, Spec, Verdict, _number, normalize
from .compare import describe_point, evaluate, format_value, sample_points

__all__ = ["seal", "check_sealed", "new_salt", "SealedKey", "ITERATIONS", "CELLS_PER_TOLERANCE", "DIGITS"]

# PBKDF2 rounds by kind (about 1 ms per 1,000 on a laptop core), so that one question's check
# takes some milliseconds to some tens of them: a whole number or a word is one hash a check
# (so the most rounds); a formula one per point (12); a number two per element, and its key
# holds 2 * CELLS_PER_TOLERANCE + 1 hashes per element, which the build computes.
ITERATIONS = {"int": 5_000, "string": 5_000, "expr": 2_000, "number": 1_000}
CELLS_PER_TOLERANCE = 128  # the verdict's grid: its band at the tolerance's edge is tol / 256 wide each way
SLIP_CELLS_PER_TOLERANCE = 4  # the slips' grid (feedback only), within twice the tolerance
DIGITS = 12  # significant digits of a formula's value at a point (the full grader's rtol is 1e-9)
_DPS = 50


def new_salt() -> str:
    return secrets.token_hex(16)


def _derive(salt: str, label: str, iterations: int) -> tuple[str, bytes]:
    """(lookup id, wrapping key) of one canonical text: the id is stored, the key never."""
    out = hashlib.pbkdf2_hmac("sha256", label.encode(), bytes.fromhex(salt), iterations, dklen=48)
    return out[:16].hex(), out[16:]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b))


def _stream(key: bytes, n: int) -> bytes:
    blocks = (hmac.new(key, i.to_bytes(4, "big"), hashlib.sha256).digest() for i in range(n // 32 + 1))
    return b"".join(blocks)[:n]


# -- canonical texts -------------------------------------------------------------------------


def _rounded(v) -> list[str]:
    """A point value's canonical texts: DIGITS significant digits (both ways near an edge)."""
    if isinstance(v, mpmath.mpc):
        if abs(v.imag) > 1e-30 * max(1, abs(v.real)):
            return ["complex"]
        v = v.real
    with mpmath.workdps(_DPS):
        a = abs(v)
        decade = int(mpmath.floor(mpmath.log10(a))) if a >= 1 else 0
        decades = {decade}
        if a >= 1 and abs(mpmath.log10(a) - mpmath.nint(mpmath.log10(a))) < 1e-20:
            decades |= {decade - 1, decade + 1} - {-1}
        out = []
        for d in sorted(decades):
            q = v * mpmath.mpf(10) ** (DIGITS - d)
            lo = int(mpmath.floor(q))
            frac = q - lo
            cells = [lo] if frac < 0.5 - 1e-6 else [lo + 1] if frac > 0.5 + 1e-6 else [lo, lo + 1]
            out += [f"{d}:{c}" for c in cells]
        return out


def _cells(v, step: Fraction) -> list[int]:
    with mpmath.workdps(_DPS):
        q = mpmath.mpf(v) / (mpmath.mpf(step.numerator) / step.denominator)
        lo = int(mpmath.floor(q))
        frac = q - lo
        return [lo] if frac < 0.5 - 1e-9 else [lo + 1] if frac > 0.5 + 1e-9 else [lo, lo + 1]


def _window(center: Fraction, radius: Fraction, step: Fraction) -> range:
    """The cells whose centre lies within `radius` of `center`."""
    lo = -((-(center - radius)) // step)  # ceil
    return range(int(lo), int((center + radius) // step) + 1)


def _fraction(x) -> Fraction:
    if isinstance(x, sympy.Rational):
        return Fraction(int(x.p), int(x.q))
    if isinstance(x, sympy.Float):
        return Fraction(str(x))
    return Fraction(x)


def _step(spec_or_tol, expected) -> tuple[Fraction, Fraction]:
    atol, rtol = spec_or_tol
    tol = Fraction(atol) + Fraction(rtol) * abs(_fraction(expected))
    return tol, tol / CELLS_PER_TOLERANCE


def _point_values(expr, points, symbols) -> list:
    out = []
    for pt in points:
        env = {symbols[k]: sympy.Rational(v) for k, v in pt.items()}
        try:
            out.append(evaluate(expr, env, _DPS))
        except ValueError:
            out.append(None)
    return out


def _element_texts(value, kind: str, i: int, ctx: dict) -> list[str]:
    """The canonical texts of one element of an answer or of the key (several near an edge)."""
    if kind == "int":
        return [f"{i}|i:{int(value)}"]
    if kind == "string":
        return [f"{i}|s:{value}"]
    if kind == "number":
        return [f"{i}|c:{c}" for c in _cells(value, ctx["step"][i])]
    raise ValueError(kind)


# -- sealing ---------------------------------------------------------------------------------


def seal(spec: Spec, qid: str, salt: str, *, iterations: int | None = None) -> dict:
    """The sealed entry of one key entry (plain JSON data; see the module docstring).
    iterations: PBKDF2 rounds (default ITERATIONS[spec.kind])."""
    iterations = iterations or ITERATIONS[spec.kind]
    if any(s.rule is not None for s in spec.slips):
        raise ValueError(f"{qid}: a slip given by a rule (a function) cannot be sealed")
    many = isinstance(spec.expected, tuple)
    expected = spec.expected if many else (spec.expected,)
    h = lambda label: _derive(salt, f"{qid}|{label}", iterations)  # noqa: E731
    out = {"kind": spec.kind, "n": len(expected) if many else None, "item_names": list(spec.item_names),
           "salt": salt, "iterations": iterations, "elements": [], "slips": []}
    if spec.kind == "expr":
        points = [{k: sympy.Rational(v) for k, v in p.items()} for p in spec.extra_points]
        points += sample_points(spec.symbols, 12, 0, spec.domain, spec.constraint)
        out["symbols"] = {name: dict(sym.assumptions0) for name, sym in spec.symbols.items()}
        kept = None
        for e in expected:  # the points where every expected formula is defined and real
            vals = _point_values(e, points, spec.symbols)
            ok = [v is not None and mpmath.im(v) == 0 for v in vals]
            kept = ok if kept is None else [a and b for a, b in zip(kept, ok)]
        points = [p for p, k in zip(points, kept) if k]
        out["points"] = [{k: str(v) for k, v in p.items()} for p in points]
        for i, e in enumerate(expected):
            vals = _point_values(e, points, spec.symbols)
            out["elements"].append({"points": [[h(f"{i}|p{j}:{t}")[0] for t in _rounded(v)]
                                               for j, v in enumerate(vals)]})
    elif spec.kind == "number":
        steps = []
        for i, e in enumerate(expected):
            tol, step = _step((spec.atol, spec.rtol), e)
            steps.append(step)
            ids = [h(f"{i}|c:{c}")[0] for c in _window(_fraction(e), tol, step)]
            slip_step = tol / SLIP_CELLS_PER_TOLERANCE
            out["elements"].append({"step": str(step), "slip_step": str(slip_step), "accept": sorted(ids)})
    else:
        for i, e in enumerate(expected):
            words = [str(e).lower(), *(a.lower() for a in spec.accept)] if spec.kind == "string" else [int(e)]
            out["elements"].append({"accept": sorted({h(_element_texts(w, spec.kind, i, {})[0])[0] for w in words})})
    for slip in spec.slips:
        out["slips"].append(_seal_slip(slip, spec, expected, many, out, h))
    return out


def _seal_slip(slip, spec: Spec, expected, many: bool, sealed: dict, h) -> dict:
    value = slip.value if isinstance(slip.value, tuple) else (slip.value,)
    if isinstance(slip.value, tuple) != many or len(value) != len(expected):
        return {"never": True}
    shares = [secrets.token_bytes(32) for _ in value]
    tables, wheres = [], []
    for i, (v, share) in enumerate(zip(value, shares)):
        where = None
        if spec.kind == "expr":
            where, texts = _expr_slip_texts(v, i, sealed, spec)
        elif spec.kind == "number":
            tol, _ = _step((spec.atol, spec.rtol), expected[i])
            step = Fraction(sealed["elements"][i]["slip_step"])
            texts = [f"{i}|d:{c}" for c in _window(_fraction(v), 2 * tol, step)]
        elif spec.kind == "string":
            texts = [f"{i}|s:{str(v).lower()}"]
        else:
            texts = [f"{i}|i:{int(v)}"]
        table = {}
        for t in texts:
            ident, key = h(t)
            table[ident] = _xor(share, key).hex()
        tables.append(table)
        wheres.append(where)
    key = hashlib.sha256(b"".join(shares)).digest()
    text = (slip.name or slip.feedback).encode() + b"\0" + slip.feedback.encode()
    return {"tables": tables, "where": wheres, "box": _xor(text, _stream(key, len(text))).hex(),
            "tag": hmac.new(key, b"slip", hashlib.sha256).hexdigest()[:32]}


def _expr_slip_texts(value, i: int, sealed: dict, spec: Spec) -> list[str]:
    """A formula slip's canonical texts: its rounded values at the points where it is defined
    (the full grader compares an answer with a slip there), every combination near an edge."""
    points = [{k: sympy.Rational(v) for k, v in p.items()} for p in sealed["points"]]
    vals = _point_values(value, points, spec.symbols)
    where = [j for j, v in enumerate(vals) if v is not None and mpmath.im(v) == 0]
    options = [_rounded(vals[j]) for j in where]
    return where, _slip_labels(i, where, options)


def _slip_labels(i: int, where: list[int], options: list[list[str]]) -> list[str]:
    return [f"{i}|slip{where}:" + ",".join(combo) for combo in itertools.islice(itertools.product(*options), 16)]


# -- checking --------------------------------------------------------------------------------


def _spec_of(sealed: dict) -> Spec:
    """A key entry with the sealed one's shape and symbols but no expected value (for `normalize`)."""
    symbols = {name: sympy.Symbol(name, **assumptions) for name, assumptions in (sealed.get("symbols") or {}).items()}
    placeholder = tuple(sympy.Integer(0) for _ in range(sealed["n"])) if sealed["n"] is not None else sympy.Integer(0)
    return Spec(expected=placeholder, kind=sealed["kind"], symbols=symbols, item_names=tuple(sealed["item_names"]))


class _Answer:
    """One element of an answer: its shown text, and its canonical texts' ids and keys."""

    def __init__(self, text: str, texts: list[str] | None, where: str | None = None):
        self.text, self.texts, self.where = text, texts, where
        self.value, self.values, self.slip_step = None, [], None


def check_sealed(sealed: dict, answer, qid: str = "") -> Verdict:
    """`check(spec, answer, qid, reveal=False)`'s verdict, from the sealed entry of `spec`."""
    head = f"{qid}: " if qid else ""
    spec = _spec_of(sealed)

    @functools.lru_cache(maxsize=None)  # one hash per canonical text and check
    def h(label: str) -> tuple[str, bytes]:
        return _derive(sealed["salt"], f"{qid}|{label}", sealed["iterations"])

    try:
        got = normalize(answer, spec)
        elements = got if isinstance(got, tuple) else (got,)
        results = [_element(g, i, sealed, spec, h) for i, g in enumerate(elements)]
    except AnswerError as exc:
        return Verdict(False, f"{head}{exc}.")
    ok = [r[0] for r in results]
    texts = [r[1].text for r in results]
    got_text = "(" + ", ".join(texts) + ")" if sealed["n"] is not None else texts[0]
    if all(ok):
        n = len(sealed.get("points") or ())
        note = f" (equal to the key at {n} points)" if sealed["kind"] == "expr" else ""
        return Verdict(True, f"{head}correct: {got_text}{note}.")
    feedback, slip_name = _slip(results, sealed, h), None
    if feedback is not None:
        slip_name, feedback = feedback
    else:
        feedback = _wrong_order(results, sealed, h)
    if sealed["n"] is not None:
        names = sealed["item_names"] or [f"element {i}" for i in range(len(results))]
        where = "; ".join(f"{n}: {r[1].where}" if sealed["kind"] == "expr" else f"{n} is wrong"
                          for n, r in zip(names, results) if not r[0])
        how = where
    else:
        where = results[0][1].where
        how = where if sealed["kind"] == "expr" or where == "not a whole number" else None
    msg = f"{head}got {got_text}" + (f" ({how})" if how else "") + "."
    if feedback:
        msg += f" Likely slip: {feedback}" + ("" if feedback.endswith((".", "!", "?", ")")) else ".")
    fields = {"summary": f"{head}your answer is wrong.", "got": got_text, "expected": None,
              "where": where, "diff": None, "slip": feedback or None}
    return Verdict(False, msg, slip_name, fields)


def _element(got, i: int, sealed: dict, spec: Spec, h) -> tuple[bool, _Answer]:
    kind = sealed["kind"]
    if kind == "string":
        texts = [f"{i}|s:{got}"]
        return _known(texts, sealed["elements"][i]["accept"], h), _Answer(repr(got), texts)
    if kind == "expr":
        return _formula(got, i, sealed, spec, h)
    v = _number(got, spec)
    if kind == "int":
        if abs(v - mpmath.nint(v)) > 1e-9:
            return False, _Answer(format_value(v), None, "not a whole number")
        n = int(mpmath.nint(v))
        texts = [f"{i}|i:{n}"]
        return _known(texts, sealed["elements"][i]["accept"], h), _Answer(format_value(sympy.Integer(n)), texts)
    shown = format_value(got) if isinstance(got, sympy.Rational) else format_value(v, 10)
    texts = [f"{i}|c:{c}" for c in _cells(v, Fraction(sealed["elements"][i]["step"]))]
    answer = _Answer(shown, texts)
    answer.value, answer.slip_step = v, Fraction(sealed["elements"][i]["slip_step"])
    return _known(texts, sealed["elements"][i]["accept"], h), answer


def _known(texts, ids, h) -> bool:
    ids = set(ids)
    return any(h(t)[0] in ids for t in texts)


def _formula(got, i: int, sealed: dict, spec: Spec, h) -> tuple[bool, _Answer]:
    shown = sympy.sstr(got, full_prec=False)
    points = [{k: sympy.Rational(v) for k, v in p.items()} for p in sealed["points"]]
    values = _point_values(got, points, spec.symbols)
    answer = _Answer(shown, None)
    answer.values = values
    if not points:
        answer.where = "it could not be evaluated at any point of the question's domain"
        return False, answer
    for j, (pt, v, ids) in enumerate(zip(points, values, sealed["elements"][i]["points"])):
        if v is None or not any(h(f"{i}|p{j}:{t}")[0] in set(ids) for t in _rounded(v)):
            yours = "undefined" if v is None else format_value(v)
            answer.where = f"it is wrong at {describe_point(pt)}, where yours = {yours}"
            return False, answer
    return True, answer


def _slip(results, sealed: dict, h):
    """(name, feedback) of the first named slip the answer is, else None."""
    for slip in sealed["slips"]:
        if slip.get("never"):
            continue
        shares = []
        for i, (table, where, (_, answer)) in enumerate(zip(slip["tables"], slip["where"], results)):
            share = None
            for text in _answer_texts(answer, i, where):
                ident, key = h(text)
                if ident in table:
                    share = _xor(bytes.fromhex(table[ident]), key)
                    break
            if share is None:
                break
            shares.append(share)
        else:
            key = hashlib.sha256(b"".join(shares)).digest()
            if hmac.compare_digest(hmac.new(key, b"slip", hashlib.sha256).hexdigest()[:32], slip["tag"]):
                box = bytes.fromhex(slip["box"])
                name, _, feedback = _xor(box, _stream(key, len(box))).decode().partition("\0")
                return name, feedback
    return None


def _answer_texts(answer: _Answer, i: int, where) -> list[str]:
    """An answer element's canonical texts as a slip's table is keyed (a formula: its values
    at the points where the slip is defined)."""
    if where is None and answer.slip_step is not None:
        return [f"{i}|d:{c}" for c in _cells(answer.value, answer.slip_step)]
    if where is None:
        return answer.texts or []
    values = [answer.values[j] for j in where]
    if any(v is None for v in values):
        return []
    return _slip_labels(i, where, [_rounded(v) for v in values])


def _wrong_order(results, sealed: dict, h) -> str | None:
    """The full grader's "the right values in the wrong order", for tuples of numbers."""
    if sealed["n"] is None or sealed["kind"] not in ("int", "number"):
        return None
    if any(r[1].texts is None for r in results):
        return None
    n = len(results)
    for perm in itertools.permutations(range(n)):
        if perm == tuple(range(n)):
            continue
        if all(_known([t.replace(f"{i}|", f"{perm[i]}|", 1) for t in results[i][1].texts]
                      if sealed["kind"] == "int" else
                      [f"{perm[i]}|c:{c}" for c in _cells(results[i][1].value,
                                                          Fraction(sealed["elements"][perm[i]]["step"]))],
                      sealed["elements"][perm[i]]["accept"], h) for i in range(n)):
            names = sealed["item_names"]
            return "the right values in the wrong order" + (f": the order is ({', '.join(names)})" if names else "")
    return None



class SealedKey:
    """A sealed answer key as a pack carries it: {"key": {qid: sealed entry}, "questions": {...}}."""

    class Entry:
        def __init__(self, sealed: dict):
            self.sealed = sealed
            self.kind = sealed["kind"]

    def __init__(self, data: dict):
        self.entries = {qid: SealedKey.Entry(sealed) for qid, sealed in data["key"].items()}
        self.questions = dict(data.get("questions") or {})

    @classmethod
    def load(cls, path) -> "SealedKey":
        import json
        from pathlib import Path

        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def check(self, qid: str, answer) -> Verdict:
        if qid not in self.entries:
            raise KeyError(f"unknown question {qid!r}")
        return check_sealed(self.entries[qid].sealed, answer, qid)
