"""One policy for text a submission can influence, whatever reads it.

What a submission prints, raises, returns or is named (its file name in a class's zip) can
reach a terminal (the text report, the self-check, the command line's messages), a CI page
(JUnit XML), a browser (the HTML reports, the dashboard, Gradescope's and PrairieLearn's
pages), a spreadsheet (the gradebook's CSV exports) or a JSON file. The grader applies one
policy to such text before any report holds it (`graders.engine.runner.printable`) and
again where a front door writes it:

- controls: every C0 and C1 control character but newline and tab, DEL, and the
  bidirectional overrides and isolates are written as escapes (`\\x1b`, `\\x0d`, `\\u202e`),
  so no escape sequence recolours or redraws a terminal, no carriage return overwrites a
  line (a forged "Score:"), no bidi override reorders what a reader sees, and XML 1.0 stays
  well-formed;
- encoding: lone surrogates are escaped (`\\udcff`), so every format can encode the text;
- length: one field holds at most MAX_FIELD_CHARS characters and a name MAX_NAME_CHARS (its
  start and its end), with the count of what was left out;
- numbers: an int with more than MAX_INT_DIGITS digits is described by its digit count
  (`describe_int`), never printed in full (Python refuses to print one of over 4300 digits).

Each format then quotes as it must: HTML with `html.escape`, XML, JSON, and CSV cells with a
formula's first character neutralised (graders.gradebook.exports.safe_cell). Escaping is
idempotent: escaped text has no control character left to escape.
"""

from __future__ import annotations

import re

MAX_FIELD_CHARS = 20_000
MAX_NAME_CHARS = 300
MAX_INT_DIGITS = 40

# C0 and C1 controls but newline and tab, DEL, and the bidirectional overrides and isolates
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """`text` with every control character but newline and tab written as an escape."""
    return CONTROLS.sub(_escaped, text)


def bounded(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    """`text`, or `limit` of its characters and how many more were left out: the start, and
    the last tenth of `limit` from the end (where a truncated output says what it dropped)."""
    if len(text) <= limit:
        return text
    tail = limit // 10
    return (text[:limit - tail] + f"\n... ({len(text) - limit:,} more characters left out) ...\n"
            + (text[-tail:] if tail else ""))


def safe_text(text, limit: int = MAX_FIELD_CHARS) -> str:
    """`text` (any object, as str) under the policy above: encodable, controls escaped, bounded."""
    text = str(text).encode("utf-8", "backslashreplace").decode("utf-8")
    return bounded(escape_controls(text), limit)


def int_digits(value: int) -> int:
    """The number of decimal digits of `value` (its sign left out), without printing it."""
    n = abs(int(value))
    if n < 10:
        return 1
    digits = int((n.bit_length() - 1) * 0.30102999566398120) + 1  # log10(2): exact or one short
    return digits + 1 if n >= 10 ** digits else digits


def describe_int(value: int) -> str:
    """`value` as text, or "an int of N digits" when it has more than MAX_INT_DIGITS."""
    digits = int_digits(value)
    if digits <= MAX_INT_DIGITS:
        return str(int(value))
    return f"{'a negative' if value < 0 else 'an'} int of {digits:,} digits"
