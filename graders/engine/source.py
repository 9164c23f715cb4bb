"""Reading a submission: a `.py` file or a `.ipynb` notebook, as cells of Python source.

Notebooks are read with nbformat; their code cells run in order. IPython-only syntax
(`%magics`, `%%cell magics`, `!shell` lines, `x = !cmd`, `obj?`) is neither run nor
allowed to break the grade: each such line becomes `pass`, and cells in another language
(`%%bash`, `%%html`, ...) are skipped. Cells tagged `dlgrade-skip` (the template's
self-check cell) are skipped too. A notebook names its assignment in its metadata
(`{"dlgrade": {"assignment": ID}}`), a `.py` file in a comment line
`# dlgrade-assignment: ID`. Nothing here executes the submission.

Size: a submission is limited to `MAX_BYTES` of code. A notebook's outputs (plots, printed
text) and cell attachments are dropped as it is read and do not count: the limit applies to
what is left; the file itself may hold up to `MAX_NOTEBOOK_FILE_BYTES`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 5 * 1024 * 1024
MAX_NOTEBOOK_FILE_BYTES = 64 * 1024 * 1024  # outputs included (dropped when read)
SKIP_TAGS = frozenset({"dlgrade-skip", "skip-grading"})
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
_MAGIC_LINE = re.compile(r"^(\s*)(?:[%!]|[\w.,\s]+=\s*[%!])")
_PY_ASSIGNMENT = re.compile(r"^#\s*dlgrade-assignment:\s*(\w+)", re.MULTILINE)
_HELP_LINE = re.compile(r"^(\s*)[\w.]+\?{1,2}\s*$")


@dataclass
class Source:
    """A submission as the sandbox will run it."""

    path: str
    kind: str  # "py" | "ipynb" | "unknown"
    cells: list[tuple[str, str]] = field(default_factory=list)
    assignment: str | None = None
    problems: list[str] = field(default_factory=list)  # nothing can run
    notes: list[str] = field(default_factory=list)  # something was skipped


def read_submission(path: str | Path) -> Source:
    p = Path(path)
    kind = p.suffix.lower().lstrip(".")
    src = Source(path=str(p), kind=kind if kind in ("py", "ipynb") else "unknown")
    if not p.is_file():
        src.problems.append(f"{p.name}: no such file.")
        return src
    size = p.stat().st_size
    file_limit = MAX_NOTEBOOK_FILE_BYTES if src.kind == "ipynb" else MAX_BYTES
    if size > file_limit:
        src.problems.append(f"{p.name} is {size:,} bytes; submissions are limited to {file_limit:,}"
                            + (" (outputs included)." if src.kind == "ipynb" else "."))
        return src
    data = p.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        src.problems.append(f"{p.name} is not UTF-8 text (byte {exc.start}): save it as UTF-8.")
        return src
    if src.kind == "py":
        src.cells = [(p.name, text)]
        declared = _PY_ASSIGNMENT.search(text[:2000])
        if declared:
            src.assignment = declared.group(1)
        if not text.strip():
            src.notes.append(f"{p.name} is empty.")
    elif src.kind == "ipynb":
        text = without_outputs(text)
        code_bytes = len(text.encode("utf-8"))
        if code_bytes > MAX_BYTES:
            src.problems.append(f"{p.name} holds {code_bytes:,} bytes without its outputs; submissions are "
                                f"limited to {MAX_BYTES:,}.")
            return src
        _read_notebook(text, src)
    else:
        src.problems.append(f"{p.name}: expected a .py file or a .ipynb notebook.")
    return src


def without_outputs(text: str) -> str:
    """The notebook's JSON without its cells' outputs and attachments (and execution counts);
    `text` unchanged when it is not a JSON object with a list of cells (nbformat then says
    what is wrong with it)."""
    try:
        nb = json.loads(text)
    except (ValueError, RecursionError):
        return text
    if not isinstance(nb, dict):
        return text
    cells = nb.get("cells")
    if not isinstance(cells, list):  # nbformat 3 keeps its cells in worksheets
        sheets = nb.get("worksheets")
        cells = [c for w in sheets if isinstance(w, dict) and isinstance(w.get("cells"), list)
                 for c in w["cells"]] if isinstance(sheets, list) else None
    if not cells:
        return text
    for cell in cells:
        if isinstance(cell, dict):
            cell.pop("attachments", None)
            if "outputs" in cell:
                cell["outputs"] = []
            for count in ("execution_count", "prompt_number"):
                if count in cell:
                    cell[count] = None
    return json.dumps(nb, ensure_ascii=False)


def _read_notebook(text: str, src: Source) -> None:
    import nbformat

    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several types for broken JSON / versions
        src.problems.append(f"{Path(src.path).name} is not a valid Jupyter notebook: "
                            f"{type(exc).__name__}: {str(exc)[:300]}")
        return
    try:
        nbformat.validate(nb)
    except Exception as exc:
        src.notes.append(f"the notebook does not fully follow the nbformat schema ({str(exc)[:200]}); "
                         "grading its code cells anyway.")
    meta = nb.get("metadata", {}) if isinstance(nb, dict) else {}
    dl = meta.get("dlgrade") if isinstance(meta, dict) else None
    if isinstance(dl, dict) and isinstance(dl.get("assignment"), str):
        src.assignment = dl["assignment"]
    number = 0
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        number += 1
        meta_cell = cell.get("metadata")
        raw_tags = meta_cell.get("tags") if isinstance(meta_cell, dict) else None
        tags = {t for t in raw_tags if isinstance(t, str)} if isinstance(raw_tags, list) else set()
        if tags & SKIP_TAGS:
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        code = strip_ipython(str(source), number, src.notes)
        if code is not None:
            src.cells.append((f"<cell {number}>", code))


def strip_ipython(source: str, number: int, notes: list[str]) -> str | None:
    """Replace IPython-only lines by `pass`; None for a cell in another language."""
    lines = source.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].lstrip()[2:].split()[0] if lines[first].strip() != "%%" else ""
        if magic not in PYTHON_CELL_MAGICS:
            notes.append(f"cell {number} is a %%{magic} cell; it was not run.")
            return None
        lines[first] = ""
    changed = False
    for i, line in enumerate(lines):
        match = _MAGIC_LINE.match(line) or _HELP_LINE.match(line)
        if match and not line.lstrip().startswith("#"):
            lines[i] = f"{match.group(1)}pass  # IPython-only line, not run: {line.strip()[:60]}"
            changed = True
    if changed:
        notes.append(f"cell {number}: IPython magics or shell commands were not run.")
    return "\n".join(lines) + "\n"
