"""The README's test command is the one CI runs (.ci/run), word for word."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
CI = REPO / ".ci" / "run"


def fenced_blocks(markdown: str) -> list[tuple[str, list[str]]]:
    """[(the last non-blank line before the block, the block's lines), ...]."""
    blocks, before, inside, current = [], "", False, []
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            if inside:
                blocks.append((before, current))
                current = []
            inside = not inside
            continue
        if inside:
            current.append(line)
        elif line.strip():
            before = line
    return blocks


def readme_test_command(markdown: str) -> str | None:
    """The first line of the first code block introduced by a line about tests; else the
    first line of any code block that runs pytest."""
    for before, lines in fenced_blocks(markdown):
        if re.search(r"\btests?\b|test suite", before, re.IGNORECASE):
            first = next((line.strip() for line in lines if line.strip()), "")
            if "pytest" in first:
                return first
    for _, lines in fenced_blocks(markdown):
        for line in lines:
            if "pytest" in line:
                return line.strip()
    return None


def _strip_prompt(command: str) -> str:
    return command[2:] if command.startswith("$ ") else command


def test_fenced_blocks_and_command_finder_on_a_sample():
    sample = ("Intro mentions tests.\n\n```bash\nmake demo\n```\n\nRun the test suite:\n\n"
              "```bash\n$ .venv/bin/python -m pytest -q\n```\n")
    assert readme_test_command(sample) == "$ .venv/bin/python -m pytest -q"
    assert readme_test_command("```\npython -m pytest tests\n```") == "python -m pytest tests"
    assert readme_test_command("no code here") is None


@pytest.fixture
def readme_command() -> str:
    if not README.exists():
        pytest.skip("README.md is not written yet")
    command = readme_test_command(README.read_text(encoding="utf-8"))
    assert command, "README.md shows no test command (a fenced code line running pytest)"
    return _strip_prompt(command)


def test_readme_test_command_runs_pytest(readme_command):
    assert "pytest" in readme_command


def test_ci_runs_the_readme_test_command_verbatim(readme_command):
    assert CI.exists(), ".ci/run is missing"
    ci_lines = [line.strip() for line in CI.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert readme_command in ci_lines, f"{readme_command!r} not in .ci/run: {ci_lines}"


def test_ci_script_is_executable_and_stops_on_errors():
    text = CI.read_text(encoding="utf-8")
    assert text.startswith("#!")
    assert os.access(CI, os.X_OK)
    assert "set -e" in text or "set -euo pipefail" in text
