"""The scan of a built pack: no reference code, no hidden check.

What counts as reference code: the body of every function of the reference module
(docstring left out) and every code line between its `### BEGIN SOLUTION` and
`### END SOLUTION` markers that is not a comment (the template shows the comments, the
TODO hints). A hidden check is found by its name, or by the part of its name after the
function (`conv_ae_params_no_bias` and `ANSWERS['conv_ae_params_no_bias']: ...` alike).
Every file of the pack is read as text (UTF-8, undecodable bytes ignored, so the zip of
the recording is scanned too, for what it is worth) with its whitespace collapsed.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

# A function body this long or longer is code worth finding; a single solution line must be
# longer: short lines (`return out`, `inside = (z > -2.5) & (z < 2.5)`, the contract's own
# formulas) also appear in the checks' descriptions of slips, which students see anyway.
MIN_BODY = 16
MIN_LINE = 32


@dataclass(frozen=True)
class Leak:
    file: str
    what: str


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _code_of(line: str) -> str:
    """A line without its comment (a `#` after whitespace, or a whole comment line)."""
    return "" if line.strip().startswith("#") else re.sub(r"\s+#.*$", "", line)


def reference_fragments(source: str) -> dict[str, str]:
    """{collapsed code: what it is} for the reference module's source."""
    fragments = {}
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                body = body[1:]
            code = "\n".join(ast.get_source_segment(source, stmt) or "" for stmt in body)
            code = "\n".join(_code_of(line) for line in code.splitlines())
            if len(_collapse(code)) >= MIN_BODY:
                fragments[_collapse(code)] = f"the body of the reference's `{node.name}`"
    inside = False
    for number, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("### BEGIN SOLUTION"):
            inside = True
        elif stripped.startswith("### END SOLUTION"):
            inside = False
        elif inside and len(_collapse(_code_of(stripped))) >= MIN_LINE:
            fragments.setdefault(_collapse(_code_of(stripped)), f"line {number} of the reference's solution")
    return fragments


def hidden_markers(names) -> dict[str, str]:
    """{text: what it is} for hidden check names: the name and its part after the function."""
    markers = {}
    for name in names:
        markers[name] = f"the hidden check {name!r}"
        function = name.split(":", 1)[0]
        for part in re.findall(r"[A-Za-z_][A-Za-z0-9_]{5,}", function + " " + name.split(":", 1)[-1]):
            if "_" in part and part not in ("ANSWERS",):
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


def scan(folder: Path, reference_source: str, hidden_names) -> list[Leak]:
    """Every place in the files under `folder` where reference code or a hidden check shows."""
    fragments = reference_fragments(reference_source)
    markers = hidden_markers(hidden_names)
    leaks = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        raw = _text_of(path)
        text = _collapse(raw)
        relative = path.relative_to(folder).as_posix()
        leaks += [Leak(relative, what) for fragment, what in fragments.items() if fragment in text]
        leaks += [Leak(relative, what) for marker, what in markers.items() if marker in raw]
    return leaks
