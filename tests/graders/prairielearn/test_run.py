"""graders.prairielearn.run: a report as PrairieLearn's results.json (pictures, hidden checks,
text made safe and small enough)."""

from __future__ import annotations

import base64
import io
import json

from PIL import Image

from graders.engine.checks import Report
from graders.engine.checks import TestResult as Result  # not collected by pytest
from graders.prairielearn.run import MAX_PICTURE_CHARS, MAX_RESULTS_BYTES, WITHHELD, clean, results_dict
from tests.graders.prairielearn.test_grader import assert_prairielearn_schema


def _png(size: int = 8) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (size, size), (0, 0, 255)).save(buf, format="PNG")
    return buf.getvalue()


def _report(*tests) -> Report:
    return Report("theory", "hw.ipynb", list(tests), 1.0, load_messages=["Graded: hw.ipynb."])


def test_a_checks_pictures_become_its_images_with_their_titles():
    pic = Result("f: curve", 0, 1, "failed", "loss too high", "trained", "visible", "1",
                 extra={"pictures": [{"title": "loss curve", "png": _png()}, {"title": "", "png": b"not a png"}]})
    data = results_dict(_report(pic))
    assert_prairielearn_schema(data)
    (test,) = data["tests"]
    assert test["output"] == "loss too high" and test["message"] == "Failed."
    assert [i["label"] for i in test["images"]] == ["loss curve"]
    assert base64.b64decode(test["images"][0]["url"].split(",", 1)[1]) == _png()


def test_the_score_is_the_fraction_of_points_and_the_message_the_points():
    data = results_dict(_report(Result("a: one", 1, 1, "passed", "", "value", "visible", "1"),
                                Result("b: two", 0.5, 3, "failed", "off", "value", "visible", "2")))
    assert data["gradable"] is True and data["score"] == 0.375 and data["message"] == "1.5 / 4 points."
    assert data["output"] == "Graded: hw.ipynb."
    assert results_dict(_report())["score"] == 0.0  # no points to earn: nothing earned


def test_checks_that_are_not_visible_show_their_points_but_neither_name_nor_feedback():
    data = results_dict(_report(
        Result("q1: visible", 1, 1, "passed", "", "value", "visible", "1"),
        Result("q2: secret name", 0, 2, "failed", "expected 3, got 4", "value", "hidden", "2",
               extra={"pictures": [{"title": "t", "png": _png()}]}),
        Result("q3: later", 3, 3, "passed", "", "value", "after_due_date", "3")))
    assert [t["name"] for t in data["tests"]] == ["q1: visible", "Hidden check 1", "Hidden check 2"]
    assert [(t["points"], t["max_points"]) for t in data["tests"]] == [(1, 1), (0, 2), (3, 3)]
    text = json.dumps(data)
    assert "secret name" not in text and "expected 3" not in text and "images" not in text
    assert data["tests"][1]["message"] == WITHHELD


def test_control_characters_and_lone_surrogates_are_escaped_and_html_is_left_to_prairielearn():
    assert clean("\x1b[31mred\x1b[0m <b>\ttab\nline\ud800") == "\\x1b[31mred\\x1b[0m <b>\ttab\nline\\ud800"
    assert clean("x" * 50, limit=10) == "x" * 9 + "\n... (40 more characters left out) ...\n" + "x"


def test_pictures_beyond_the_budget_are_left_out_and_said_so():
    noise = Image.frombytes("L", (600, 600), bytes(range(256)) * (600 * 600 // 256) + bytes(600 * 600 % 256))
    buf = io.BytesIO()
    noise.save(buf, format="PNG", compress_level=0)
    big = buf.getvalue()
    assert len(big) * 4 // 3 > MAX_PICTURE_CHARS // 2
    tests = [Result(f"f{i}: pic", 1, 1, "passed", "", "trained", "visible", str(i),
                    extra={"pictures": [{"title": "p", "png": big}]}) for i in range(3)]
    data = results_dict(_report(*tests))
    assert_prairielearn_schema(data)
    assert "images" in data["tests"][0] and "images" not in data["tests"][-1]
    assert "Pictures left out" in data["tests"][-1]["output"]


def test_results_are_cut_to_prairielearns_size_limit():
    tests = [Result(f"f{i}: long", 0, 1, "failed", "y" * 30_000, "value", "visible", str(i)) for i in range(100)]
    data = results_dict(_report(*tests))
    assert len(json.dumps(data).encode()) <= MAX_RESULTS_BYTES
    assert all(t["output"].startswith("y" * 200) for t in data["tests"])


def test_a_grader_written_with_another_dlgrade_version_says_so_to_the_instructor(tmp_path, capsys):
    from graders.prairielearn.run import grade_submission

    (tmp_path / "student").mkdir()
    data = grade_submission(tmp_path, {"assignment": "theory", "dlgrade_version": "0.0.0-old"})
    assert data["gradable"] is False
    assert "written with dlgrade 0.0.0-old" in capsys.readouterr().err


def test_the_graded_file_is_opened_once_and_graded_in_the_mode_the_environment_asks_for(tmp_path, monkeypatch):
    import graders.engine.runner as runner
    import graders.engine.source as source
    from graders.prairielearn.run import grade_submission

    (tmp_path / "student").mkdir()
    (tmp_path / "student" / "answers.py").write_text("q = 1\n", encoding="utf-8")
    reads, modes, real_read, real_grade = [], [], source.Path.read_bytes, runner.grade

    def counting(path):
        reads.append(path.name)
        return real_read(path)

    def recording(*args, **kwargs):
        modes.append(kwargs.get("isolation"))
        return real_grade(*args, **kwargs)

    monkeypatch.setattr(source.Path, "read_bytes", counting)
    monkeypatch.setattr(runner, "grade", recording)
    monkeypatch.setenv("DLGRADE_AUTOGRADER", "1")
    grade_submission(tmp_path, {"assignment": "theory"})
    assert reads.count("answers.py") == 1 and modes == ["autograder"]
