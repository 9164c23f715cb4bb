"""Exports: dlgrade's gradebook CSV, Canvas's and Moodle's import CSVs, all spreadsheet-safe."""

from __future__ import annotations

import csv
import io

import pytest

from graders.gradebook.exports import (ExportError, canvas_csv, gradebook_csv, moodle_csv, read_roster,
                                       safe_cell)
from graders.gradebook.record import StudentGrade


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_a_cell_that_could_start_a_formula_is_prefixed_with_a_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text, cell", [("\r=1", "\\x0d=1"), ("\0x", "\\x00x"), ("\x1b[31m=1", "\\x1b[31m=1")])
def test_a_cells_control_characters_are_escaped_so_no_formula_or_sequence_remains(text, cell):
    assert safe_cell(text) == cell


@pytest.mark.parametrize("text", ["alice", "3.5", "", "a=b", " =x is not at the start"])
def test_other_cells_are_unchanged(text):
    assert safe_cell(text) == text


def grades() -> list[StudentGrade]:
    checks = [{"name": "a", "points": 1.0, "max_points": 1.0, "status": "passed", "slip": "", "feedback": ""}]
    return [StudentGrade("alice", "graded", 1.0, 1.0, checks),
            StudentGrade("bob", "graded", 1.0, 1.0, checks, late_penalty=0.25, late_reason="1 day late"),
            StudentGrade("carol", "graded", 0.0, 1.0, checks, override={"score": 0.5, "who": "ta", "why": "=x"})]


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_gradebook_csv_gives_final_scores_and_says_why_they_differ():
    rows = _read(gradebook_csv(grades(), ["a"]))
    assert rows[0] == ["student", "status", "score", "max_score", "passed", "failed", "a", "raw_score",
                       "late_penalty", "notes"]
    bob, carol = rows[2], rows[3]
    assert bob[2] == "0.75" and bob[8] == "0.25" and "late: 1 day late" in bob[9]
    assert carol[2] == "0.5" and carol[9] == "override 0.5 by ta: =x"


def roster(tmp_path) -> dict:
    path = tmp_path / "roster.csv"
    path.write_text("student,name,canvas_id,sis_user_id,sis_login_id,section,email,idnumber\n"
                    "alice,Alice A,101,S1,alice1,Sec 1,alice@example.com,A1\n"
                    "bob,Bob B,102,S2,bob2,Sec 1,bob@example.com,\n")
    return read_roster(path)


def test_canvas_csv_has_canvas_columns_a_points_possible_row_and_roster_ids(tmp_path):
    text, missing = canvas_csv(grades(), roster(tmp_path), "Homework 1 (4242)")
    rows = _read(text)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 1 (4242)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "1"]
    assert rows[2] == ["Alice A", "101", "S1", "alice1", "Sec 1", "1"]
    assert rows[3][-1] == "0.75" and missing == ["carol"]


def test_moodle_csv_identifies_students_by_the_chosen_field(tmp_path):
    text, missing = moodle_csv(grades(), roster(tmp_path), "hw1", identify_by="idnumber")
    rows = _read(text)
    assert rows[0] == ["ID number", "hw1", "Feedback: hw1"]
    assert rows[1] == ["A1", "1", ""] and missing == ["bob", "carol"]
    with pytest.raises(ExportError):
        moodle_csv(grades(), {}, "hw1", identify_by="name")


def test_a_roster_without_a_student_column_is_refused(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("name,email\nx,y\n")
    with pytest.raises(ExportError, match="`student` column"):
        read_roster(path)
