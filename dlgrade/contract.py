"""The course contract (`CONTRACT.md`): the names, shapes and conventions students follow.

`CONTRACT.md` at the root of the source is the document; the package carries an identical
copy (`dlgrade/CONTRACT.md`, a test keeps them equal) so that an installed dlgrade can show
it: `dlgrade contract` prints it all, `dlgrade contract ID` one assignment's part.
"""

from __future__ import annotations

import re
from importlib import resources

_HEADING = re.compile(r"^#{1,3} ")


def contract_text() -> str:
    return resources.files("dlgrade").joinpath("CONTRACT.md").read_text(encoding="utf-8")


def assignment_part(text: str, assignment: str) -> str | None:
    """The part of the contract about `assignment`: its own `### \\`ID\\`` section, or its
    entry (`ID:` and the indented lines under it) in a shared block; None when absent."""
    lines = text.splitlines()
    heading = re.compile(rf"^###\s+`{re.escape(assignment)}`")
    for i, line in enumerate(lines):
        if heading.match(line):
            end = next((j for j in range(i + 1, len(lines)) if _HEADING.match(lines[j])), len(lines))
            return "\n".join(lines[i:end]).rstrip() + "\n"
    for i, line in enumerate(lines):
        if line.rstrip() == f"{assignment}:":
            end = next((j for j in range(i + 1, len(lines))
                        if not lines[j].startswith((" ", "\t")) or not lines[j].strip()), len(lines))
            return "\n".join(lines[i:end]).rstrip() + "\n"
    return None


def course_contract_text(found) -> str:
    """The contracts of the course folders in use (`found`, a graders.courses.Catalog): each
    folder's own CONTRACT.md, if it has one, to follow the bundled course's."""
    parts = []
    for folder in found.course_folders():
        path = folder / "CONTRACT.md"
        if path.is_file():
            parts.append("\n" + path.read_text(encoding="utf-8"))
    return "".join(parts)
