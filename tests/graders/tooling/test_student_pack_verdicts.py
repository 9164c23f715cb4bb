"""Same verdicts: on an assignment's known slips (slips.py: MUTANTS and UNUSUAL), the student
pack's self-check gives every visible check the status and score the full grader gives it.

Two packs are compared with the full grader: one recorded from the reference alone (a
student's own slip meets such a pack: the verdicts must still agree, though a failure may
say "needs the full grader" where the recording lacks its path) and one recorded from the
reference and the slips (what `dlgrade student-pack` builds: there, no slip may meet a
question the recording cannot answer). The fast test takes a few slips of numpy_basics; the
slow ones take every slip of every assignment the pack supports (the PyTorch ones and
beam_search too, whose fast test takes a few slips of beam_search). Both graders use the
pack's own course secret, as the self-check does.
"""

from __future__ import annotations

import importlib

import pytest

from graders import assignments
from graders.engine.runner import grade
from graders.tooling.student_pack.build import build_student_pack
from graders.tooling.student_pack.loading import load_pack

# The NumPy assignments a pack is built for (every one: the checks' copies of parts of the
# solution, which name slips, live in recorded `reference_*` modules).
PACKABLE = ("numpy_basics", "autoencoder_numpy", "sparse_autoencoder", "language_model_numpy", "lstm_gru_numpy",
            "char_rnn_numpy", "activity_recognition")
FAST_SLIPS = ("relu_np_max_instead_of_maximum", "sigmoid_backward_uses_z_instead_of_s",
              "cross_entropy_gradient_mean_missing")
# The assignments whose packs record nothing (their checks never ask the reference: the
# PyTorch ones but sequences_torch, and beam_search) or only plain functions of a series
# (sequences_torch's series checks), compared on every slip by the slow test below.
TORCH_AND_SEARCH = ("beam_search", "transfer_torch", "vae_torch", "sequences_torch", "autoencoders_torch",
                    "gan_torch")
FAST_BEAM_SEARCH_SLIPS = ("beam_search_keeps_the_worst_candidates", "beam_search_max_len_one_short",
                          "beam_search_heapq_nlargest")


def slips_of(assignment_id: str):
    return importlib.import_module(f"graders.assignments.{assignment_id}.slips")


def verdicts(report) -> dict:
    return {t.name: (t.status, t.score) for t in report.tests}


def compare_on_slips(assignment_id: str, pack_folder, tmp_path, names=None) -> list[str]:
    """For each slip (those named, else all), the visible checks whose pack verdict differs
    from the full grader's, as 'slip | check: full vs pack' lines; and the pack's failures
    that say they need the full grader, as 'slip | check: needs the full grader'."""
    assignment = assignments.get(assignment_id)
    loaded = load_pack(pack_folder)
    pack, secret = loaded.load_assignment(), loaded.SELF_CHECK_SECRET.encode()
    source = assignment.reference.read_text(encoding="utf-8")
    module = slips_of(assignment_id)
    problems = []
    for mutant in [*module.MUTANTS, *module.UNUSUAL]:
        if names is not None and mutant.name not in names:
            continue
        path = tmp_path / f"{mutant.name}.py"
        path.write_text(mutant.apply(source), encoding="utf-8")
        full = verdicts(grade(str(path), assignment, include_hidden=False, secret=secret))
        report = grade(str(path), pack, include_hidden=False, secret=secret)
        mine = verdicts(report)
        problems += [f"{mutant.name} | {name}: {full[name]} vs {mine.get(name)}"
                     for name in full if mine.get(name) != full[name]]
        problems += [f"{mutant.name} | {t.name}: needs the full grader"
                     for t in report.tests if "needs the full grader" in t.output]
    return problems


def test_a_pack_recorded_from_the_reference_alone_gives_the_full_graders_verdicts(tmp_path):
    summary = build_student_pack(assignments.get("numpy_basics"), tmp_path / "pack")
    problems = compare_on_slips("numpy_basics", summary.folder, tmp_path, FAST_SLIPS)
    assert [p for p in problems if "needs the full grader" not in p] == []


@pytest.mark.slow
@pytest.mark.parametrize("assignment_id", PACKABLE)
def test_every_slip_gets_the_full_graders_visible_verdicts_from_the_pack(assignment_id, tmp_path):
    """The pack as `dlgrade student-pack` builds it (recorded from the reference and the slips):
    the same verdicts, and no slip leads a check off the recording. A slip whose training
    ignores its seed meets no exception: the checks that judge a trained result judge only a
    reproducible train (graders.engine.reproducible), in both graders alike."""
    summary = build_student_pack(assignments.get(assignment_id), tmp_path / "pack", slips=slips_of(assignment_id))
    assert compare_on_slips(assignment_id, summary.folder, tmp_path) == []


@pytest.mark.slow
def test_a_reference_only_pack_gives_the_full_graders_verdicts_on_every_slip_of_numpy_basics(tmp_path):
    """Only numpy_basics: a trained check that measures the submission's own trained model with
    the reference's cost (sparse_autoencoder's held-out cost) asks about parameters no recording
    of the reference holds, so there a reference-only pack gives an UNUSUAL submission
    "needs the full grader" where the full grader passes it."""
    summary = build_student_pack(assignments.get("numpy_basics"), tmp_path / "pack")
    problems = compare_on_slips("numpy_basics", summary.folder, tmp_path)
    assert [p for p in problems if "needs the full grader" not in p] == []


def test_beam_search_pack_gives_the_reference_full_marks_and_slips_the_full_graders_verdicts(tmp_path):
    summary = build_student_pack(assignments.get("beam_search"), tmp_path / "pack",
                                 slips=slips_of("beam_search"))
    report = load_pack(summary.folder).check_notebook(str(assignments.get("beam_search").reference), show=False)
    assert report.score == report.max_score > 0
    assert compare_on_slips("beam_search", summary.folder, tmp_path, FAST_BEAM_SEARCH_SLIPS) == []


@pytest.mark.slow
@pytest.mark.parametrize("assignment_id", TORCH_AND_SEARCH)
def test_every_slip_of_a_torch_or_search_assignment_gets_the_full_graders_visible_verdicts(assignment_id, tmp_path):
    """Packs that carry the checks' own code (and, for sequences_torch, a recording of its series
    functions made from every slip): every slip gets the full grader's status and score on every
    visible check, and none meets a question the pack cannot answer."""
    summary = build_student_pack(assignments.get(assignment_id), tmp_path / "pack", slips=slips_of(assignment_id))
    assert compare_on_slips(assignment_id, summary.folder, tmp_path) == []
