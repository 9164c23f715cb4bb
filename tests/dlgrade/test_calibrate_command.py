"""`dlgrade calibrate ID`: the reference retrained over the standard runs, the bounds written
as thresholds.json (here with tiny settings, to a file of tmp_path: the shipped one is never
rewritten by a test)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from dlgrade.cli import main
from graders.assignments.vae_torch import thresholds as vae
from graders.engine.trained_checks import with_calibration


def test_calibrate_writes_a_thresholds_file_that_reads_back_with_the_settings_it_ran(tmp_path, capsys):
    out = tmp_path / "thresholds.json"
    assert main(["calibrate", "vae_torch", "--set", "epochs=1", "--set", "batch_size=128", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "vae_test_loss run 6 (draw 1, unusual variant)" in printed and "| vae_test_loss |" in printed
    entry = json.loads(out.read_text(encoding="utf-8"))["digits"]["vae_test_loss"]
    assert entry["seeds"] == list(range(7)) and len(entry["reference_values"]) == 7
    assert entry["settings"] == {**vae.VAE_TEST_LOSS.settings["digits"], "epochs": 1, "batch_size": 128}
    trial = replace(vae.VAE_TEST_LOSS, settings={**vae.VAE_TEST_LOSS.settings, "digits": entry["settings"]})
    t = with_calibration(tmp_path, [trial])["vae_test_loss"].for_dataset("digits")
    assert t.bound == pytest.approx(max(t.reference_values) * 1.1) and all(t.passes(v) for v in t.reference_values)


@pytest.mark.parametrize("argv, message", [
    (["calibrate", "no_such_assignment"], "unknown assignment 'no_such_assignment'"),
    (["calibrate", "numpy_basics"], "numpy_basics declares no trained checks"),
    (["calibrate", "vae_torch", "--checks", "nope"], "unknown trained checks ['nope']"),
    (["calibrate", "vae_torch", "--set", "no_such_setting=1"], "no chosen check has a setting 'no_such_setting'"),
    (["calibrate", "vae_torch", "--set", "epochs"], "--set takes KEY=VALUE"),
    (["calibrate", "vae_torch", "--runs", "3"], "at least 5 course-secret draws"),
    (["calibrate", "vae_torch", "--set", "epochs=1", "--write"], "write them with --out FILE"),
    (["calibrate", "vae_torch", "--dataset", "cifar"], "no settings of ['vae_test_loss'] for the data set 'cifar'"),
])
def test_bad_requests_get_a_clear_message_and_status_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_an_assignments_calibrate_module_takes_the_same_command_line(capsys):
    from graders.assignments.vae_torch import calibrate

    with pytest.raises(SystemExit) as info:
        calibrate.calibrate_main("vae_torch", ["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert all(option in out for option in ("--dataset", "--runs", "--set", "--write", "--out"))


def test_a_course_assignment_is_found_through_the_catalog_and_its_bundled_assignments_still_calibrate(
        tmp_path, capsys):
    from tests.tiny_course import ASSIGNMENT_ID, write_tiny_course

    course = write_tiny_course(tmp_path / "course")
    assert main(["calibrate", ASSIGNMENT_ID, "--course", str(course)]) == 2
    assert f"{ASSIGNMENT_ID} declares no trained checks" in capsys.readouterr().err
    assert main(["calibrate", "vae_torch", "--course", str(course), "--runs", "3"]) == 2  # a bundled one: on to
    assert "at least 5 course-secret draws" in capsys.readouterr().err                    # the calibration


def test_a_course_assignment_without_a_calibrate_module_is_calibrated_by_grading(tmp_path, capsys):
    from graders.tooling.scaffold import scaffold

    course = tmp_path / "course"
    scaffold("linreg", course, kind="trained")
    assert main(["calibrate", "linreg", "--course", str(course), "--out", str(tmp_path / "t.json")]) == 0
    printed = capsys.readouterr().out
    assert "held_out_mse run 5 (unusual variant train_gradient_as_a_mean_of_rows)" in printed
    assert (tmp_path / "t.json").is_file() and not (course / "linreg" / "thresholds.json").exists()
    assert main(["calibrate", "linreg", "--course", str(course), "--mutants"]) == 2
    assert "it has no calibrate.py" in capsys.readouterr().err
