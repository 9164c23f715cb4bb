"""The README's part for students: their first steps, with commands that exist."""

from __future__ import annotations

from pathlib import Path

from dlgrade.cli import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"


def _students_part() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## For students\n")
    return text[start:text.index("\n## ", start + 1)]


def test_readme_tells_students_how_to_get_the_notebook_run_the_self_check_and_read_the_report():
    part = _students_part()
    for step in ("Get the notebook", "student_templates/<id>.ipynb", 'check_notebook("<id>")',
                 "dlgrade check hw1.ipynb", "Reading the report", "Likely slip:", "CONTRACT.md"):
        assert step in part, step


def test_the_commands_students_are_told_about_exist():
    commands = build_parser()._subparsers._group_actions[0].choices
    part = _students_part()
    for command in ("check", "contract"):
        assert f"dlgrade {command} " in part and command in commands
