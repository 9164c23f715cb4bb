"""Generate each assignment's student notebook from its reference module.

The reference module is the single source: its docstring becomes the introduction,
each top-level function or class becomes a markdown cell (its name and docstring, the
math the student needs) followed by a code cell with the function, and every
`### BEGIN SOLUTION` ... `### END SOLUTION` block is replaced by the block's `# TODO`
hints and `raise NotImplementedError`. Lines `# TEMPLATE: code` inside a block are put
in the template instead of the raise (for module-level answers such as `ANSWERS`).
The last cell is a self-check, tagged `dlgrade-skip` so the grader never runs it.

    python -m student_templates.build            # rewrite every notebook here
    python -m student_templates.build --check    # exit 1 if any notebook is out of date
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
_BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*### END SOLUTION\s*$")
_TEMPLATE = re.compile(r"^(\s*)# TEMPLATE: ?(.*)$")

SELF_CHECK = '''# Self-check: runs the visible checks of this assignment on the functions defined above,
# in a sandbox, and prints the same feedback the autograder gives. Hidden checks are NOT run,
# so your final score may differ. (The grader skips this cell.)
from dlgrade.selfcheck import check_notebook

check_notebook("{assignment}")
'''


def strip_solutions(source: str) -> str:
    """Replace each solution block by its TODO hints and `raise NotImplementedError`."""
    out: list[str] = []
    lines = source.splitlines()
    i = 0
    while i < len(lines):
        begin = _BEGIN.match(lines[i])
        if not begin:
            out.append(lines[i])
            i += 1
            continue
        indent = begin.group(1)
        i += 1
        hints, template = [], []
        while i < len(lines) and not _END.match(lines[i]):
            stripped = lines[i].strip()
            tmpl = _TEMPLATE.match(lines[i])
            if tmpl:
                template.append(tmpl.group(1) + tmpl.group(2))
            elif stripped.startswith("# TODO"):
                hints.append(indent + stripped)
            i += 1
        if i == len(lines):
            raise ValueError("### BEGIN SOLUTION without ### END SOLUTION")
        i += 1  # skip END
        out += hints
        out += template if template else [f'{indent}raise NotImplementedError("TODO: write this part")']
    return "\n".join(out) + "\n"


def split_module(source: str) -> tuple[str, str, list[tuple[str, str, str]]]:
    """(module docstring, preamble code, [(name, docstring, code), ...]) of a module."""
    tree = ast.parse(source)
    lines = source.splitlines()
    doc = ast.get_docstring(tree) or ""
    body = list(tree.body)
    start = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        start = body[0].end_lineno
        body = body[1:]
    defs = [n for n in body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    # A definition's cell starts at its first line, moved up over blank lines and
    # column-0 comments (section headers); it runs to where the next one starts, so
    # trailing comments such as `### END SOLUTION` stay with their function.
    starts = []
    for node in defs:
        begin = _first_line(node) - 1
        while begin > start and (not lines[begin - 1].strip() or lines[begin - 1].startswith("#")):
            begin -= 1
        starts.append(begin)
    preamble_end = starts[0] if starts else len(lines)
    preamble = "\n".join(lines[start:preamble_end]).strip("\n")
    chunks = []
    for i, node in enumerate(defs):
        end = starts[i + 1] if i + 1 < len(defs) else len(lines)
        code = "\n".join(lines[starts[i]:end]).strip("\n")
        chunks.append((node.name, ast.get_docstring(node) or "", code))
    return doc, preamble, chunks


def _first_line(node) -> int:
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])


def build_notebook(assignment_id: str, reference: Path) -> nbformat.NotebookNode:
    source = reference.read_text(encoding="utf-8")
    doc, preamble, chunks = split_module(source)
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "dlgrade": {"assignment": assignment_id},
    }
    cells = [nbformat.v4.new_markdown_cell(doc or f"# {assignment_id}")]
    if preamble:
        cells.append(nbformat.v4.new_code_cell(strip_solutions(preamble).rstrip("\n")))
    for name, docstring, code in chunks:
        if name:
            heading = f"## `{name}`\n\n" + (_markdown_docstring(docstring) if docstring else "")
            cells.append(nbformat.v4.new_markdown_cell(heading.rstrip()))
        cells.append(nbformat.v4.new_code_cell(strip_solutions(code).rstrip("\n")))
    cells.append(nbformat.v4.new_markdown_cell(
        "## Check your work\n\nRun the cell below after the cells above. It runs the *visible* "
        "checks in a sandbox and prints the autograder's feedback; hidden checks are not run."))
    check = nbformat.v4.new_code_cell(SELF_CHECK.format(assignment=assignment_id).rstrip("\n"))
    check.metadata["tags"] = ["dlgrade-skip"]
    cells.append(check)
    for i, cell in enumerate(cells):
        cell.id = f"{assignment_id[:40]}-{i:03d}"  # stable ids: a rebuild is byte-identical
    nb.cells = cells
    return nb


def _markdown_docstring(doc: str) -> str:
    """Docstring as markdown: the prose as is, indented formula blocks as code blocks."""
    out, block = [], []
    for line in doc.splitlines():
        if line.startswith("    ") and line.strip():
            block.append(line[4:])
            continue
        if block:
            out += ["```", *block, "```"]
            block = []
        out.append(line)
    if block:
        out += ["```", *block, "```"]
    return "\n".join(out)


def targets() -> dict[str, Path]:
    """Assignment id -> reference module, for every assignment with a grader."""
    from graders import assignments

    return {aid: assignments.get(aid).reference for aid in assignments.assignment_ids()}


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report notebooks that are out of date")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    stale = []
    for aid, reference in targets().items():
        text = render(build_notebook(aid, reference))
        path = args.out / f"{aid}.ipynb"
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print("out of date (run python -m student_templates.build): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
