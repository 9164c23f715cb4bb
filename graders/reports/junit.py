"""JUnit XML, the format CI services (GitHub Actions, GitLab, Jenkins) display."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from graders.engine.checks import Report
from graders.engine.safe_text import safe_text


def _clean(text: str) -> str:
    # controls escaped (graders.engine.safe_text; XML 1.0 forbids most of them, and a CI page
    # would show the rest), then whatever XML still cannot hold (U+FFFE, U+FFFF) dropped
    return "".join(ch for ch in safe_text(text) if ch in "\t\n" or 0x20 <= ord(ch) <= 0xD7FF
                   or 0xE000 <= ord(ch) <= 0xFFFD or ord(ch) >= 0x10000)


def render_junit(report: Report) -> str:
    failures = sum(1 for t in report.tests if not t.passed)
    suites = ET.Element("testsuites", name="dlgrade", tests=str(len(report.tests)),
                        failures=str(failures), time=f"{report.execution_time:.3f}")
    suite = ET.SubElement(suites, "testsuite", name=report.assignment, tests=str(len(report.tests)),
                          failures=str(failures), errors="0", time=f"{report.execution_time:.3f}")
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="score", value=f"{report.score:g}")
    ET.SubElement(props, "property", name="max_score", value=f"{report.max_score:g}")
    ET.SubElement(props, "property", name="submission", value=_clean(report.submission))
    for t in report.tests:
        case = ET.SubElement(suite, "testcase", classname=f"{report.assignment}.{t.kind}",
                             name=_clean(t.name), time=f"{t.time_s:.3f}")
        if not t.passed:
            first = t.output.splitlines()[0] if t.output else "failed"
            failure = ET.SubElement(case, "failure", message=_clean(first[:300]), type=t.kind)
            failure.text = _clean(t.output)
    if report.load_messages or report.output:
        out = ET.SubElement(suite, "system-out")
        out.text = _clean("\n".join(report.load_messages + [report.output]))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
