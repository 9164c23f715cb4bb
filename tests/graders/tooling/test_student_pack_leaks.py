"""The leak scan on what a real student pack ships, for every packable NumPy assignment: every
file the build writes (notebook, carried modules, stand-ins, recording, install files) holds
no reference code and no hidden check's name.

Building a pack grades the reference with the visible checks: a reference-only build takes
(wall clock, a shared two-core machine) about 3 s for numpy_basics, 6 s autoencoder_numpy,
12 s sparse_autoencoder, 23 s lstm_gru_numpy, 28 s language_model_numpy, 30 s
activity_recognition and 62 s char_rnn_numpy (docs/benchmarks.md, "Student packs"), and
recording every slip multiplies that. So the fast suite scans
  - numpy_basics' whole pack, recording included, built once for the module and shared;
  - every packable assignment's pack as the build writes it, with its recording holding what
    the recording takes without grading (the stand-ins, the tables of the reference's
    functions, the constants the checks import from it) but none of the graded calls' outputs
    (the numbers the reference computes on the visible checks' inputs), about a second each;
and the slow suite scans each whole pack as the command builds it (the slips recorded too).
"""

from __future__ import annotations

import importlib

import pytest

from graders import assignments
from graders.engine.checks import Visibility
from graders.tooling.student_pack import build as pack_build
from graders.tooling.student_pack.build import REPO, build_student_pack, template_code
from graders.tooling.student_pack.leaks import scan

NUMPY_PACKABLE = ("numpy_basics", "autoencoder_numpy", "sparse_autoencoder", "language_model_numpy", "lstm_gru_numpy",
                  "char_rnn_numpy", "activity_recognition")


def leaks_in(folder, assignment_id: str) -> list:
    """The scan as the build runs it, with the template's code and every hidden check's name."""
    assignment = assignments.get(assignment_id)
    template = REPO / "student_templates" / f"{assignment_id}.ipynb"
    hidden = [c.name for c in assignment.all_checks() if c.visibility is not Visibility.VISIBLE]
    return scan(folder, assignment.reference.read_text(encoding="utf-8"), hidden,
                template_code(template) if template.is_file() else "", public=assignment.contract)


@pytest.fixture(scope="module")
def numpy_basics_pack(tmp_path_factory):
    return build_student_pack(assignments.get("numpy_basics"), tmp_path_factory.mktemp("packs") / "numpy_basics")


def test_numpy_basics_whole_pack_recording_included_passes_the_leak_scan(numpy_basics_pack):
    folder = numpy_basics_pack.folder
    recording = folder / numpy_basics_pack.package / "assignment" / "_reference"
    assert (recording / "numpy_basics.json").stat().st_size > 1000 and (recording / "numpy_basics.npz").is_file()
    assert leaks_in(folder, "numpy_basics") == []


@pytest.fixture
def ungraded_recording(monkeypatch):
    """The build with its recording made from no grade (its verification, which grades the
    reference with the pack, left out with it)."""
    record = pack_build.record_grades

    def record_nothing(assignment, submissions, **kwargs):
        books, _ = record(assignment, [], **kwargs)
        return books, [None]  # no report of the reference
    monkeypatch.setattr(pack_build, "record_grades", record_nothing)
    monkeypatch.setattr(pack_build, "verify_reference", lambda *args: None)


@pytest.mark.parametrize("assignment_id", NUMPY_PACKABLE)
def test_every_file_a_numpy_assignments_pack_writes_passes_the_leak_scan(assignment_id, tmp_path,
                                                                        ungraded_recording):
    summary = build_student_pack(assignments.get(assignment_id), tmp_path / "pack")
    files = {p.relative_to(summary.folder).as_posix() for p in summary.folder.rglob("*") if p.is_file()}
    assert {"README.md", "pyproject.toml", f"{summary.package}/__init__.py", f"{summary.package}/pack.json"} <= files
    assert any(name.endswith(".json") and "/_reference/" in name for name in files)
    assert leaks_in(summary.folder, assignment_id) == []


@pytest.mark.slow
@pytest.mark.parametrize("assignment_id", NUMPY_PACKABLE)
def test_every_numpy_assignments_whole_pack_passes_the_leak_scan(assignment_id, tmp_path):
    """As `dlgrade student-pack` builds it: the reference and every slip recorded."""
    slips = importlib.import_module(f"graders.assignments.{assignment_id}.slips")
    summary = build_student_pack(assignments.get(assignment_id), tmp_path / "pack", slips=slips)
    assert leaks_in(summary.folder, assignment_id) == []
