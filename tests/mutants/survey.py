"""Grade every mutant of an assignment and show which checks fail (a tool for writing
`catches`): `python -m tests.mutants.survey ASSIGNMENT_ID [--write]`.

With --write, each MUTANT's `catches` in tests/mutants/<id>.py, and in the modules of
tests/mutants that it imports mutants from, is set to the names of the checks that failed
on it (review the result: a slip should be caught by checks of the function it is in).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from graders import assignments
from graders.engine.runner import grade
from tests.mutants import REPO, write_mutant

re_lone_comma = __import__("re").compile(r"([^\n]*)\n,\n")


def survey(assignment_id: str, workers: int = 2) -> dict[str, list]:
    module = importlib.import_module(f"graders.assignments.{assignment_id}.slips")
    assignment = assignments.get(assignment_id)
    with tempfile.TemporaryDirectory(prefix="dlgrade-survey-") as tmp:

        def run(mutant):
            return mutant.name, grade(str(write_mutant(assignment_id, mutant, Path(tmp))), assignment)

        with ThreadPoolExecutor(workers) as pool:
            reports = dict(pool.map(run, list(module.MUTANTS) + list(module.UNUSUAL)))
    return {name: [t for t in r.tests if not t.passed] for name, r in reports.items()}


def mutant_files(assignment_id: str) -> list[Path]:
    """tests/mutants/<id>.py and the modules of tests/mutants it imports from (a long list of
    mutants is split over several files)."""
    folder = REPO / "tests" / "mutants"
    main = folder / f"{assignment_id}.py"
    files = [main]
    for node in ast.walk(ast.parse(main.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests.mutants."):
            files.append(folder / f"{node.module.rsplit('.', 1)[1]}.py")
    return files


def write_catches(assignment_id: str, failures: dict[str, list]) -> None:
    for path in mutant_files(assignment_id):
        _write_catches_in(path, failures)


def _write_catches_in(path: Path, failures: dict[str, list]) -> None:
    """Add `catches` to every Mutant(...) in the file that has none and failed some checks."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    edits = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Mutant"):
            continue
        name_node = node.args[0] if node.args else next(
            (k.value for k in node.keywords if k.arg == "name"), None)
        if (isinstance(name_node, ast.Constant) and isinstance(name_node.value, str)
                and not any(k.arg == "catches" for k in node.keywords)):
            names = [t.name for t in failures.get(name_node.value, [])]
            if names:
                edits.append((node.end_lineno, node.end_col_offset, names))
    for line_no, col, names in sorted(edits, reverse=True):
        line = lines[line_no - 1]
        head, tail = line[: col - 1], line[col - 1:]
        indent = " " * (len(line) - len(line.lstrip()) + 4)
        sep = "" if head.rstrip().endswith(",") or head.rstrip().endswith("(") else ","
        body = "".join(f"{indent}    {n!r},\n" for n in names)
        lines[line_no - 1] = f"{head.rstrip()}{sep}\n{indent}catches=(\n{body}{indent}),\n{indent[:-4]}{tail}"
    text = "".join(lines)
    # a closing parenthesis on its own line leaves a lone comma: join it to the line above
    text = re_lone_comma.sub(_join_comma, text)
    if text != source:
        path.write_text(text, encoding="utf-8")


def _join_comma(match) -> str:
    previous = match.group(1)
    return previous + ("" if previous.rstrip().endswith(",") else ",") + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    failures = survey(args.assignment)
    for name, failed in failures.items():
        print(f"{name}: {len(failed)} failed")
        for t in failed:
            print(f"    {t.name}  | {t.output.splitlines()[0][:100] if t.output else ''}")
    if args.write:
        write_catches(args.assignment, failures)


if __name__ == "__main__":
    main()
