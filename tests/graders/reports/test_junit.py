"""JUnit XML for CI services: parses with xml.etree, counts failures, survives any output."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from graders.engine.checks import Report
from graders.engine.checks import TestResult as Result  # not collected by pytest
from graders.reports.junit import render_junit


def _report(**kwargs) -> Report:
    tests = [
        Result("relu: values", 1.0, 1.0, "passed", "", "value", "visible", "1", 0.01),
        Result("relu_backward: gradient check", 0.0, 2.0, "failed",
               "relu_backward(dout, z) does not match.\nGot: 2", "gradient", "visible", "2", 0.25),
        Result("softmax: rows sum to 1", 0.0, 1.0, "failed", "", "property", "hidden", "3", 0.5),
    ]
    defaults = dict(assignment="numpy_basics", submission="work.py", tests=tests, execution_time=1.5)
    defaults.update(kwargs)
    return Report(**defaults)


def _parse(report: Report) -> ET.Element:
    text = render_junit(report)
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


def test_junit_parses_and_counts_tests_and_failures():
    root = _parse(_report())
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("time")) == ("3", "2", "1.500")
    suite = root.find("testsuite")
    assert (suite.get("name"), suite.get("tests"), suite.get("failures"), suite.get("errors")) == (
        "numpy_basics", "3", "2", "0")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["relu: values", "relu_backward: gradient check",
                                              "softmax: rows sum to 1"]
    assert len(suite.findall("testcase/failure")) == 2


def test_junit_failure_has_first_line_as_message_and_full_feedback_as_text():
    case = _parse(_report()).findall("testsuite/testcase")[1]
    failure = case.find("failure")
    assert failure.get("message") == "relu_backward(dout, z) does not match."
    assert failure.get("type") == "gradient"
    assert failure.text == "relu_backward(dout, z) does not match.\nGot: 2"
    assert case.get("classname") == "numpy_basics.gradient"
    assert case.get("time") == "0.250"


def test_junit_failure_without_output_says_failed():
    case = _parse(_report()).findall("testsuite/testcase")[2]
    assert case.find("failure").get("message") == "failed"


def test_junit_passing_case_has_no_failure():
    assert _parse(_report()).findall("testsuite/testcase")[0].find("failure") is None


def test_junit_properties_carry_score_and_submission():
    found = _parse(_report()).findall("testsuite/properties/property")
    props = {p.get("name"): p.get("value") for p in found}
    assert props == {"score": "1", "max_score": "4", "submission": "work.py"}


def test_junit_system_out_has_load_messages_and_printed_output():
    root = _parse(_report(load_messages=["cell 2: magics"], output="hello"))
    assert root.find("testsuite/system-out").text == "cell 2: magics\nhello"
    assert _parse(_report()).find("testsuite/system-out") is None


def test_junit_control_characters_in_output_do_not_break_the_xml():
    nasty = "bad \x00\x01\x08\x0b\x0c\x1b[31mred\x1b[0m \x7f tab\there"
    report = _report(output="printed " + nasty)
    report.tests[1].output = "first line " + nasty + "\nsecond"
    root = _parse(report)
    failure = root.findall("testsuite/testcase")[1].find("failure")
    # escaped, as every format shows them (graders.engine.safe_text), newline and tab kept
    assert failure.text == "first line bad \\x00\\x01\\x08\\x0b\\x0c\\x1b[31mred\\x1b[0m \\x7f tab\there\nsecond"
    message = failure.get("message")  # the first line (\x0b and \x0c end a line for str.splitlines)
    assert message.startswith("first line bad") and not any(ord(c) < 0x20 for c in message)
    assert "\x00" not in root.find("testsuite/system-out").text


def test_junit_keeps_unicode_and_escapes_markup():
    report = _report(output="<b>&amp; \u2603 \U0001F600</b>")
    assert _parse(report).find("testsuite/system-out").text == "<b>&amp; \u2603 \U0001F600</b>"


@pytest.mark.parametrize("char", ["\uffff", "\ufffe", "\ud800"])
def test_junit_characters_xml_forbids_do_not_break_the_xml(char):
    report = _report(output=f"printed {char}")
    report.tests[1].output = f"message {char}"
    _parse(report)


def test_junit_of_no_checks_parses():
    root = _parse(Report("a", "s.py", [], 0.0))
    assert (root.get("tests"), root.get("failures")) == ("0", "0")
