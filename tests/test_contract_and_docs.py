"""The course contract and the assignment pages: every assignment has both, and every
mention of CONTRACT.md points at a file that exists."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from dlgrade.contract import assignment_part, contract_text
from graders import assignments

REPO = Path(__file__).resolve().parents[1]
CONTRACT = REPO / "CONTRACT.md"
_MENTION = re.compile(r"[\w./-]*CONTRACT\.md")


def _documents() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md")),
            *sorted((REPO / "student_templates").glob("*.ipynb"))]


@pytest.mark.parametrize("assignment", assignments.assignment_ids())
def test_every_assignment_has_its_docs_page(assignment):
    page = REPO / "docs" / "assignments" / f"{assignment}.md"
    assert page.is_file()
    assert page.read_text(encoding="utf-8").startswith(f"# `{assignment}`")


@pytest.mark.parametrize("assignment", assignments.assignment_ids())
def test_the_contract_has_a_part_for_every_assignment(assignment):
    part = assignment_part(CONTRACT.read_text(encoding="utf-8"), assignment)
    assert part is not None and assignment in part.splitlines()[0]
    assert len(part.splitlines()) > 1


def test_the_packaged_contract_is_the_projects():
    assert contract_text() == CONTRACT.read_text(encoding="utf-8")
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "CONTRACT.md" in package_data["dlgrade"]


@pytest.mark.parametrize("document", _documents(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_mention_of_the_contract_points_at_a_file_that_exists(document):
    # a path is read from the document's folder, or, bare, from the project's root
    for mention in set(_MENTION.findall(document.read_text(encoding="utf-8"))):
        candidates = {(document.parent / mention).resolve(), (REPO / mention).resolve()}
        assert CONTRACT.resolve() in candidates, f"{document.name} mentions {mention}"


def test_readme_and_every_notebook_mention_the_contract():
    for document in [REPO / "README.md", *(REPO / "student_templates").glob("*.ipynb")]:
        assert _MENTION.search(document.read_text(encoding="utf-8")), document.name


def test_assignment_part_reads_a_section_and_an_entry_of_a_shared_block():
    text = ("# Contract\n\n### `a` — first\n```\nf(x)\n```\nabout a\n\n### `b` — second\nb text\n"
            "### Shared\n```\nc:\n  g(y) -> z\n  h(y)\nd:\n  k()\n```\n")
    assert assignment_part(text, "a") == "### `a` — first\n```\nf(x)\n```\nabout a\n"
    assert assignment_part(text, "c") == "c:\n  g(y) -> z\n  h(y)\n"
    assert assignment_part(text, "d") == "d:\n  k()\n"
    assert assignment_part(text, "e") is None
