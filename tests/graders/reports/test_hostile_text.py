"""Nothing a submission prints, raises, returns or is named reaches a terminal, a CI page, a
browser, a spreadsheet or a JSON file unescaped (graders.engine.safe_text): in every report
format, and in PrairieLearn's results and the gradebook's CSV cells, no control character but
newline and tab is left, every field is bounded, and a huge int is shown by its digit count."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from graders import assignments
from graders.engine.compare import fmt
from graders.engine.expect import describe_value
from graders.engine.runner import grade
from graders.engine.safe_text import MAX_FIELD_CHARS, describe_int, escape_controls, int_digits, safe_text
from graders.gradebook.exports import safe_cell
from graders.prairielearn.run import results_dict
from graders.reports import FORMATS, render

HOSTILE_TAIL = '''

print("\\x1b[2J\\x1b]0;owned\\x07Score: 47 / 47\\r\\u202eevil\\x9b31m\\x00 done")


def relu(z):
    return 10 ** 4000


def sigmoid(z):
    raise ValueError("\\x1b[31mred\\rScore: 47 / 47\\u202e" + "x" * 50000)
'''

# what a reader must never get: C0 controls but newline and tab, DEL, C1, bidi overrides
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    assignment = assignments.get("numpy_basics")
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "evil\x1b[31m\u202ename.py"
    path.write_text(assignment.reference.read_text(encoding="utf-8") + HOSTILE_TAIL, encoding="utf-8")
    return grade(str(path), assignment, select=lambda name: name in ("relu: values on random inputs",
                                                                     "sigmoid: values on random inputs"))


@pytest.mark.parametrize("fmt_name", FORMATS)
def test_no_report_format_carries_a_control_character_of_a_submission(hostile_report, fmt_name):
    text = render(hostile_report, fmt_name)
    assert not UNSAFE.search(text)
    assert "\\x1b" in text or "\\\\x1b" in text  # shown escaped, not dropped
    if fmt_name == "junit":
        ET.fromstring(text.split("\n", 1)[1])
    if fmt_name in ("json", "gradescope"):
        assert not UNSAFE.search(json.dumps(json.loads(text), ensure_ascii=False))


def test_a_huge_int_is_shown_by_its_digit_count_and_long_messages_are_bounded(hostile_report):
    outputs = {t.name: t.output for t in hostile_report.tests}
    assert "an int of 4,001 digits" in outputs["relu: values on random inputs"]
    assert not re.search(r"\d{100}", outputs["relu: values on random inputs"])
    assert len(outputs["sigmoid: values on random inputs"]) <= MAX_FIELD_CHARS + 100
    assert "\r" not in hostile_report.output and "\\x0d" in hostile_report.output
    assert not UNSAFE.search(hostile_report.submission)


def test_prairielearns_results_carry_no_control_character(hostile_report):
    assert not UNSAFE.search(json.dumps(results_dict(hostile_report), ensure_ascii=False))


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "\x1b[31m=1+1", "name\r\n=cmd", "\u202egpj.exe",
                                   "\x00@SUM(A1)", "x" * 100_000])
def test_a_spreadsheet_cell_is_neither_a_formula_nor_a_control_sequence(value):
    cell = safe_cell(value)
    assert not UNSAFE.search(cell.replace("\n", ""))
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\0"))
    assert len(cell) <= MAX_FIELD_CHARS + 100


def test_escaping_is_idempotent_and_keeps_newlines_and_tabs():
    once = escape_controls("a\tb\nc\x1b[0m\u202e\x85")
    assert once == "a\tb\nc\\x1b[0m\\u202e\\x85" and escape_controls(once) == once
    assert safe_text("\udcff") == "\\udcff"


@pytest.mark.parametrize("value", [0, 7, -9, 10, 99, 10 ** 39, 10 ** 40 - 1, 10 ** 40, -(10 ** 4000), 2 ** 13000])
def test_int_digits_counts_without_printing(value):
    import sys

    with_limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    try:
        if hasattr(sys, "set_int_max_str_digits"):
            sys.set_int_max_str_digits(0)
        expected = len(str(abs(value)))
    finally:
        if hasattr(sys, "set_int_max_str_digits"):
            sys.set_int_max_str_digits(with_limit)
    assert int_digits(value) == expected
    assert describe_int(value) == (str(value) if expected <= 40 else
                                   f"{'a negative' if value < 0 else 'an'} int of {expected:,} digits")


def test_feedback_helpers_describe_a_huge_int_by_its_digits():
    assert describe_value(10 ** 5000) == "an int of 5,001 digits" and describe_value(-12) == "int -12"
    assert fmt(-(10 ** 50)) == "a negative int of 51 digits"
