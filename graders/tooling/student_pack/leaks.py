"""The scan of a built pack: no reference code, no hidden check.

What counts as reference code: each block between the reference's `### BEGIN SOLUTION`
and `### END SOLUTION` markers, whole, and any two consecutive code lines of it, comments
left out (the template shows the comments, the TODO hints), less code the template gives
the student anyway; for a reference without markers, every function body (docstring left
out) the same way. A hidden check is found by its name, or by the part of its name after the
function (`conv_ae_params_no_bias` and `ANSWERS['conv_ae_params_no_bias']: ...` alike),
except in the notebook where the template the student gets anyway has it (it asks every
question, hidden ones included).
An answer (`answers`: an answer key's expected values as text, graders.tooling.student_pack.
answers) is found as a whole token (`1216`, not the digits inside a hash), any spacing.
Every file of the pack is read as text (UTF-8, undecodable bytes ignored, so the zip of
the recording is scanned too, for what it is worth) with its whitespace collapsed.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

MIN_FRAGMENT = 16  # shorter code ("return out") is too common to mean a leak


@dataclass(frozen=True)
class Leak:
    file: str
    what: str


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _code_of(line: str) -> str:
    """A line without its comment (a `#` after whitespace, or a whole comment line)."""
    return "" if line.strip().startswith("#") else re.sub(r"\s+#.*$", "", line).strip()


def _solution_blocks(source: str) -> list[list[tuple[int, str]]]:
    """The code lines (number, text without comments) of each solution block."""
    blocks, current = [], None
    for number, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("### BEGIN SOLUTION"):
            current = []
        elif stripped.startswith("### END SOLUTION"):
            if current:
                blocks.append(current)
            current = None
        elif current is not None and _code_of(line):
            current.append((number, _code_of(line)))
    return blocks


def _function_bodies(source: str) -> list[list[tuple[int, str]]]:
    """The code lines of each function's body, docstring left out (a reference without markers)."""
    bodies = []
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                body = body[1:]
            if body:
                numbers = range(body[0].lineno, body[-1].end_lineno + 1)
                bodies.append([(n, _code_of(lines[n - 1])) for n in numbers if _code_of(lines[n - 1])])
    return bodies


COMPUTING = re.compile(r"[-+*/@%]|\bnp\.|\w\(")


def _computes(line: str) -> bool:
    """Whether a line computes something (an operator or a call), rather than only unpacking
    names (`W, b = params["W"], params["b"]`, `N = X.shape[0]`), which any code repeats."""
    if re.search(r"[-+*/@%]=", line):  # an augmented assignment, `g += da`
        return True
    return bool(COMPUTING.search(line.split("=", 1)[-1] if "==" not in line else line))


def reference_fragments(source: str, given: str = "") -> dict[str, str]:
    """{collapsed code: what it is}: each solution block whole and each two consecutive code
    lines of it that compute something (of every function body, for a reference without
    solution markers), leaving
    out code the student is given anyway (`given`: the template's text). A single line is not
    a leak: the checks' descriptions of slips and the contract's formulas repeat single lines."""
    given = _collapse(given)
    fragments = {}
    blocks = _solution_blocks(source) or _function_bodies(source)
    for block in blocks:
        whole = _collapse(" ".join(code for _, code in block))
        pieces = [(whole, f"the reference's solution at line {block[0][0]}")] + [
            (_collapse(f"{first} {second}"), f"lines {n}-{n + 1} of the reference's solution")
            for (n, first), (_, second) in zip(block, block[1:]) if _computes(first) or _computes(second)]
        for fragment, what in pieces:
            if len(fragment) >= MIN_FRAGMENT and fragment not in given:
                fragments.setdefault(fragment, what)
    return fragments


def hidden_markers(names, public=()) -> dict[str, str]:
    """{text: what it is} for hidden check names: the name and its part after the function,
    less the words in `public` (the contract's names, which every student sees)."""
    markers = {}
    for name in names:
        markers[name] = f"the hidden check {name!r}"
        function = name.split(":", 1)[0]
        for part in re.findall(r"[A-Za-z_][A-Za-z0-9_]{5,}", function + " " + name.split(":", 1)[-1]):
            if "_" in part and part not in ("ANSWERS",) and part not in public:
                markers.setdefault(part, f"the hidden check {name!r}")
    return markers


def _text_of(path: Path) -> str:
    """A file's text as a reader sees it: a notebook's cells, else the bytes as UTF-8."""
    raw = path.read_bytes().decode("utf-8", "ignore")
    if path.suffix == ".ipynb":
        try:
            cells = json.loads(raw).get("cells", [])
            return "\n".join("".join(cell.get("source", "")) for cell in cells) + "\n" + raw
        except (ValueError, AttributeError):
            return raw
    return raw


def answer_pattern(text: str) -> re.Pattern:
    """`text` as a whole token, with any spacing around its punctuation."""
    parts = [re.escape(piece) for piece in re.split(r"\s+", text.strip())]
    body = r"\s*".join(parts)
    body = re.sub(r"(\\[(),\[\]])", r"\\s*\1\\s*", body)
    return re.compile(r"(?<![\w.])" + body + r"(?![\w.])")


def scan(folder: Path, reference_source: str, hidden_names, given: str = "", answers=None, public=()) -> list[Leak]:
    """Every place in the files under `folder` where reference code, a hidden check or an
    answer shows (`given`: the code the student is given anyway, the template's; `answers`:
    {an expected value as text: what it is}; `public`: names that are no marker of a hidden
    check, the contract's)."""
    fragments = reference_fragments(reference_source, given)
    markers = hidden_markers(hidden_names, public)
    patterns = [(answer_pattern(text), what) for text, what in (answers or {}).items()]
    leaks = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        raw = _text_of(path)
        text = _collapse(raw)
        relative = path.relative_to(folder).as_posix()
        leaks += [Leak(relative, what) for fragment, what in fragments.items() if fragment in text]
        # the notebook asks every question, hidden ones included: it is the template the student gets anyway
        leaks += [Leak(relative, what) for marker, what in markers.items() if marker in raw
                  and not (path.suffix == ".ipynb" and marker in given)]
        leaks += [Leak(relative, what) for pattern, what in patterns if pattern.search(text)]
    return leaks
