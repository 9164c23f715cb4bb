"""Generate each assignment's student notebook from its reference module.

The reference module is the single source: its docstring becomes the introduction,
followed by where the course contract is (`CONTRACT.md`). Each top-level function or class
becomes a markdown cell (its name and docstring, the math the student needs) followed by a
code cell with the function without that docstring (the explanation is shown once), and
every `### BEGIN SOLUTION` ... `### END SOLUTION` block is replaced by the block's `# TODO`
hints and `raise NotImplementedError`. Lines `# TEMPLATE: code` inside a block are put
in the template instead of the raise (for module-level answers such as `ANSWERS`).
The last cell is a self-check, tagged `dlgrade-skip` so the grader never runs it; it and
the text above it mention hidden checks only for an assignment that has some.

A module that defines `QUESTIONS` (a question-and-answer assignment such as `theory`) gets,
instead of one cell per definition, its setup code, one markdown cell per question (see
`question_cells`), and the code after `QUESTIONS` (the `ANSWERS` cell).

    python -m student_templates.build            # rewrite every notebook here
    python -m student_templates.build --check    # exit 1 if any notebook is out of date
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
_BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*### END SOLUTION\s*$")
_TEMPLATE = re.compile(r"^(\s*)# TEMPLATE: ?(.*)$")

SELF_CHECK = '''# Self-check: runs the visible checks of this assignment on the functions defined above,
# in a sandbox, and shows the same feedback the autograder gives. (The grader skips this cell.)
{hidden_line}from dlgrade.selfcheck import check_notebook

check_notebook("{assignment}")
'''

CONTRACT_CELL = ("The names, signatures, shapes and conventions this notebook asks for are in the "
                 "course contract, `CONTRACT.md` at the root of dlgrade's source. Where dlgrade is "
                 "installed, `dlgrade contract {assignment}` prints this assignment's part of it.")


def self_check_cells(assignment_id: str, hidden: int) -> list[nbformat.NotebookNode]:
    """The closing cells: how to check one's work, and the self-check (tagged dlgrade-skip)."""
    text = ("## Check your work\n\nRun the cell below after the cells above. It runs the checks in "
            "a sandbox and shows the autograder's feedback. An error in your code is reported as "
            "`<cell N>, line M`, N being the number Jupyter shows beside the cell (`[N]:`).")
    hidden_line = ""
    if hidden:
        text += (f" The {hidden} hidden check(s) are not run here: they run when you submit, "
                 "so your final score may differ.")
        hidden_line = (f"# The {hidden} hidden check(s) are NOT run here, so your final score may differ.\n")
    check = nbformat.v4.new_code_cell(
        SELF_CHECK.format(assignment=assignment_id, hidden_line=hidden_line).rstrip("\n"))
    check.metadata["tags"] = ["dlgrade-skip"]
    return [nbformat.v4.new_markdown_cell(text), check]


def hidden_checks(assignment_id: str) -> int:
    """How many checks of the assignment (default options) students cannot see; 0 for an
    id without a grader."""
    from graders import assignments

    try:
        checks = assignments.get(assignment_id).all_checks()
    except KeyError:
        return 0
    return sum(1 for c in checks if c.visibility.value != "visible")


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
        body = lines[starts[i]:end]
        docstring = _docstring_lines(node)
        if docstring:  # the markdown cell above shows it: not twice
            first, last = docstring
            del body[first - 1 - starts[i]:last - starts[i]]
        chunks.append((node.name, ast.get_docstring(node) or "", "\n".join(body).strip("\n")))
    return doc, preamble, chunks


def _docstring_lines(node) -> tuple[int, int] | None:
    """(first, last) line of a definition's docstring, when it stands on lines of its own and
    is not the whole body; else None."""
    first = node.body[0]
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)) or len(node.body) == 1:
        return None
    if first.lineno == node.body[1].lineno or first.lineno <= node.lineno:
        return None  # `def f(): "doc"; ...` on one line
    return first.lineno, first.end_lineno


def _first_line(node) -> int:
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])


def build_notebook(assignment_id: str, reference: Path, *, hidden: int | None = None,
                   contract_note: str | None = None) -> nbformat.NotebookNode:
    """The student notebook of an assignment from its reference module.

    hidden: how many of its checks students cannot see (None: counted from the bundled
    course's grader). contract_note: the cell that says where the contract is (None: the
    bundled course's CONTRACT.md)."""
    source = reference.read_text(encoding="utf-8")
    doc, preamble, chunks = split_module(source)
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "dlgrade": {"assignment": assignment_id},
    }
    cells = [nbformat.v4.new_markdown_cell(doc or f"# {assignment_id}"),
             nbformat.v4.new_markdown_cell(contract_note if contract_note is not None
                                           else CONTRACT_CELL.format(assignment=assignment_id))]
    if "QUESTIONS" in _top_level_names(source):
        cells += question_cells(source, _load(reference).QUESTIONS)
    else:
        if preamble:
            cells.append(nbformat.v4.new_code_cell(strip_solutions(preamble).rstrip("\n")))
        for name, docstring, code in chunks:
            if name:
                heading = f"## `{name}`\n\n" + (_markdown_docstring(docstring) if docstring else "")
                cells.append(nbformat.v4.new_markdown_cell(heading.rstrip()))
            cells.append(nbformat.v4.new_code_cell(strip_solutions(code).rstrip("\n")))
    cells += self_check_cells(assignment_id, hidden_checks(assignment_id) if hidden is None else hidden)
    for i, cell in enumerate(cells):
        cell.id = f"{assignment_id[:40]}-{i:03d}"  # stable ids: a rebuild is byte-identical
    nb.cells = cells
    return nb


def question_cells(source: str, questions) -> list[nbformat.NotebookNode]:
    """The cells of a module that defines QUESTIONS (dicts with id, section, text, answer, symbols).

    The setup code (before QUESTIONS: imports, symbols, data), one markdown cell per
    question (the section heading at its first question, the full text with the precision
    asked, the symbols, the answer's form), then the code after QUESTIONS with its solution
    block stripped (the ANSWERS cell).
    """
    setup, answers = _code_around_questions(source)
    cells = [nbformat.v4.new_code_cell(strip_solutions(setup).rstrip("\n"))]
    section = None
    for number, q in enumerate(questions, 1):
        text = f"## {q['section']}\n\n" if q["section"] != section else ""
        section = q["section"]
        text += f"### {number}. `{q['id']}`\n\n{_markdown_docstring(q['text'])}\n\n"
        if q["symbols"]:
            text += f"Symbols: {', '.join(f'`{s}`' for s in q['symbols'])} (defined in the first code cell).\n\n"
        text += f"Your answer: `ANSWERS[\"{q['id']}\"]`, {q['answer']}."
        cells.append(nbformat.v4.new_markdown_cell(text))
    cells.append(nbformat.v4.new_code_cell(strip_solutions(answers).rstrip("\n")))
    return cells


def _code_around_questions(source: str) -> tuple[str, str]:
    """(code before QUESTIONS, code after it), without the statements that only build the
    questions: QUESTIONS itself, text constants (a string or f-string), and any statement
    that defines or reads a private (`_`) name."""
    tree = ast.parse(source)
    lines: list[str | None] = source.splitlines()
    body = tree.body[1:] if ast.get_docstring(tree) is not None else tree.body
    start, split = (tree.body[0].end_lineno if body is not tree.body else 0), None
    for node in body:
        names = _top_level_names(node)
        read = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        value = getattr(node, "value", None)
        text = isinstance(value, ast.JoinedStr) or (isinstance(value, ast.Constant) and isinstance(value.value, str))
        if "QUESTIONS" in names:
            split = node.end_lineno
        if "QUESTIONS" in names or text or any(n.startswith("_") for n in names | read):
            lines[_first_line(node) - 1:node.end_lineno] = [None] * (node.end_lineno - _first_line(node) + 1)

    def join(part):
        return re.sub(r"\n{3,}", "\n\n", "\n".join(x for x in part if x is not None)).strip("\n")

    return join(lines[start:split]), join(lines[split:])


def _top_level_names(node_or_source) -> set[str]:
    """Names a statement (or every top-level statement of a source) defines."""
    if isinstance(node_or_source, str):
        return set().union(*map(_top_level_names, ast.parse(node_or_source).body))
    node = node_or_source
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def _load(path: Path):
    """Run a reference module (trusted code) to read its QUESTIONS."""
    spec = importlib.util.spec_from_file_location(f"_template_source_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
