"""Text a submission controls never reaches a terminal raw: what it prints, its exceptions'
messages (at the top level and in a call), the notes on loading it. The text report and the
notebook self-check show every control character but newline and tab escaped, in both modes."""

from __future__ import annotations

import re

import pytest

from dlgrade.selfcheck import check_notebook
from graders.reports.text import escape_controls, render_text
from tests.hostile import corpus

MODES = ("default", "autograder")
FORGED = "\x1b[2J\x1b[H\x1b]0;graded\x07\rScore: 46 / 46\u202e\x9b31m"
SUBMISSION = f'''
import numpy as np

print({FORGED!r})

def relu(z):
    return np.maximum(z, 0.0)

def relu_backward(dout, z):
    raise ValueError({FORGED!r})

raise RuntimeError({FORGED!r})
'''
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_escape_controls_keeps_newline_and_tab_and_escapes_the_rest():
    assert escape_controls("a\tb\nc") == "a\tb\nc"
    assert escape_controls("\x1b[31m\r\x07\x00\x7f\x9b\u202e") == "\\x1b[31m\\x0d\\x07\\x00\\x7f\\x9b\\u202e"
    assert escape_controls("é ü 中文 ✓") == "é ü 中文 ✓"


@pytest.mark.parametrize("mode", MODES)
def test_the_text_report_shows_escape_sequences_escaped(mode, tmp_path, monkeypatch):
    if mode == "autograder" and not corpus.protections()["root"]:
        pytest.skip("autograder mode's user switch needs root")
    monkeypatch.setenv("DLGRADE_AUTOGRADER", "1" if mode == "autograder" else "0")
    path = tmp_path / "forge.py"
    path.write_text(SUBMISSION, encoding="utf-8")
    from graders.engine.runner import grade

    report = grade(str(path), corpus.fast_assignment({"relu", "relu_backward"}, properties=False))
    text = render_text(report)
    assert not RAW_CONTROL.search(text), repr(RAW_CONTROL.search(text).group())
    assert text.count("\\x1b[2J") >= 3  # printed, raised at the top level, raised in a call
    assert "\\x0d" in text and "\\u202e" in text


def test_the_notebook_self_check_prints_escape_sequences_escaped(tmp_path, capsys, monkeypatch):
    path = tmp_path / "forge.py"
    path.write_text(SUBMISSION, encoding="utf-8")
    from graders.courses import Catalog

    assignment = corpus.fast_assignment({"relu", "relu_backward"}, properties=False)
    monkeypatch.setattr(Catalog, "get", lambda self, aid: assignment)
    check_notebook("numpy_basics", path=str(path))
    printed = capsys.readouterr().out
    assert "Score:" in printed and "\\x1b[2J" in printed
    assert not RAW_CONTROL.search(printed)
