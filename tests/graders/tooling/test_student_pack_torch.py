"""Student packs of assignments whose checks never ask the reference (the PyTorch assignments,
beam_search): built from the carried sources alone, with torch as a dependency exactly when
the sandbox preloads it, and their task files loaded from the pack."""

import dataclasses
import sys
import tomllib
import uuid
from pathlib import Path

import pytest

from graders import assignments
from graders.engine.evaluation import TORCH_TASKS
from graders.engine.runner import grade
from graders.tooling.engine_dist import engine_files
from graders.tooling.student_pack.build import build_student_pack
from graders.tooling.student_pack.loading import load_pack
from graders.tooling.student_pack.recorder import package_of
from graders.tooling.student_pack.sources import PackError, carried_sources
from graders.tooling.student_pack.standin import pyproject_source
from graders.tooling.student_pack.unrecorded import (TORCH_CPU_INDEX, engine_requirement, reference_import_name,
                                                     task_files, torch_requirement)

from .tiny_course import write_tiny_course

TORCH_ASSIGNMENTS = ("autoencoders_torch", "vae_torch", "gan_torch", "sequences_torch", "transfer_torch")


@pytest.fixture(scope="module")
def transfer_pack(tmp_path_factory):
    """transfer_torch's pack: its checks ask the reference nothing (about 15 s: two grades of the
    reference, the full grader's and the pack's)."""
    return build_student_pack(assignments.get("transfer_torch"), tmp_path_factory.mktemp("packs") / "transfer")


def test_a_pack_whose_checks_never_ask_the_reference_carries_no_stand_in(transfer_pack):
    folder = transfer_pack.folder / transfer_pack.package
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert not any(name.startswith("assignment/_reference") for name in files)
    assert {"assignment/tasks.py", "assignment/tasks_probes.py", "assignment/base_weights.npz",
            "assignment/thresholds.json"} <= files
    assert not files & {"assignment/pretrain.py", "assignment/calibrate.py", "assignment/base_model.py",
                        "assignment/slips.py"}


def test_a_torch_pack_grades_the_reference_with_full_marks_and_the_task_files_of_the_pack(transfer_pack):
    pack = load_pack(transfer_pack.folder)
    assignment = pack.load_assignment()
    assert assignment.tasks and all(Path(t).resolve().is_relative_to(transfer_pack.folder.resolve())
                                    for t in assignment.tasks)
    report = grade(str(assignments.get("transfer_torch").reference), assignment, include_hidden=False,
                   secret=pack.SELF_CHECK_SECRET.encode())
    assert report.score == report.max_score > 0
    assert [t.name for t in report.tests] == transfer_pack.visible


def test_a_torch_pack_depends_on_torch_within_dlgrades_range_and_says_to_install_the_cpu_build(transfer_pack):
    project = tomllib.loads((transfer_pack.folder / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == ["dlgrade-engine[datasets]", torch_requirement(assignments.get("transfer_torch"))]
    assert project["dependencies"][1].startswith("torch>=")
    readme = (transfer_pack.folder / "README.md").read_text()
    assert f"--index-url {TORCH_CPU_INDEX}" in readme and "CUDA" in readme
    assert transfer_pack.install.endswith("&& pip install .") and TORCH_CPU_INDEX in transfer_pack.install


@pytest.mark.parametrize("assignment_id", ["numpy_basics", "beam_search", *TORCH_ASSIGNMENTS])
def test_a_pack_depends_on_torch_exactly_when_the_sandbox_preloads_it(assignment_id):
    assignment = assignments.get(assignment_id)
    dependencies = tomllib.loads(pyproject_source(assignment, "p", torch_requirement(assignment)))["project"][
        "dependencies"]
    assert any(d.startswith("torch") for d in dependencies) == ("torch" in assignment.preload)


@pytest.mark.parametrize("assignment_id", TORCH_ASSIGNMENTS)
def test_the_engines_shared_torch_tasks_stay_with_the_engine_and_the_assignments_travel(assignment_id):
    assignment = assignments.get(assignment_id)
    folder = Path(sys.modules[package_of(assignment)].__file__).resolve().parent
    carried = task_files(assignment, folder)
    assert carried and all((folder / name).is_file() for name in carried)
    assert len(carried) == len([t for t in assignment.tasks if Path(t).resolve() != TORCH_TASKS.resolve()])


def test_dlgrade_engine_carries_what_a_torch_sandbox_needs():
    files = set(engine_files())
    assert {"graders/engine/torch_tasks.py", "graders/engine/evaluation.py", "graders/engine/task_calls.py",
            "graders/engine/raw_outputs.py", "graders/sandbox/wire.py", "graders/sandbox/child.py",
            "graders/sandbox/forkserver_server.py"} <= files


def test_beam_search_packs_without_a_recording_and_without_torch(tmp_path):
    summary = build_student_pack(assignments.get("beam_search"), tmp_path / "pack")
    assert not list(summary.folder.rglob("_reference"))
    assert "torch" not in (summary.folder / "pyproject.toml").read_text()
    assert summary.install == "pip install ."


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path / "src"))

    def make(**options):
        return write_tiny_course(tmp_path / "src", f"tiny_{uuid.uuid4().hex[:12]}", **options)
    return make


def test_a_reference_the_checks_import_inside_a_function_is_imported_and_recorded(tiny, tmp_path):
    assignment = tiny(import_inside=True)
    summary = build_student_pack(assignment, tmp_path / "pack")
    assert summary.visible == ["double: values", "double: twice", "scale_: in place"]
    standin = tmp_path / "pack" / summary.package / "assignment" / "_reference" / "reference.py"
    assert standin.is_file() and "np.multiply" not in standin.read_text()
    assert "from ._reference import reference as ref" in (
        tmp_path / "pack" / summary.package / "assignment" / "checks.py").read_text()
    pack = load_pack(tmp_path / "pack")
    report = grade(str(assignment.reference), pack.load_assignment(), include_hidden=False,
                   secret=pack.SELF_CHECK_SECRET.encode())
    assert report.score == report.max_score > 0
    assert "np.multiply" not in "".join(p.read_text() for p in (tmp_path / "pack").rglob("*.py"))


def test_a_task_file_a_student_could_not_install_is_a_pack_error(tiny, tmp_path):
    elsewhere = tmp_path / "elsewhere" / "tasks.py"
    elsewhere.parent.mkdir()
    elsewhere.write_text("def task_nothing(sub):\n    return 0\n")
    assignment = dataclasses.replace(tiny(), tasks=(elsewhere,))
    with pytest.raises(PackError, match="neither in the assignment's package nor dlgrade's engine"):
        build_student_pack(assignment, tmp_path / "pack")
    assert not (tmp_path / "pack").exists()


def test_a_reference_that_cannot_be_imported_for_the_recording_is_a_pack_error(tiny, tmp_path):
    assignment = tiny(import_inside=True)
    Path(assignment.reference).write_text('raise RuntimeError("needs a GPU")\n')
    with pytest.raises(PackError, match=r"cannot be imported here to record .*RuntimeError: needs a GPU"):
        build_student_pack(assignment, tmp_path / "pack")
    assert not (tmp_path / "pack").exists()


@pytest.mark.parametrize("assignment_id, extra", [("numpy_basics", False), ("sequences_torch", False),
                                                   ("beam_search", False), ("transfer_torch", True),
                                                   ("autoencoders_torch", True), ("vae_torch", True),
                                                   ("gan_torch", True), ("autoencoder_numpy", True),
                                                   ("sparse_autoencoder", True)])
def test_a_pack_whose_checks_read_scikit_learns_data_needs_the_engines_datasets_extra(assignment_id, extra):
    assignment = assignments.get(assignment_id)
    package = package_of(assignment)
    folder = Path(sys.modules[package].__file__).resolve().parent
    sources = carried_sources(folder, package, reference_import_name(assignment, package, folder),
                              extra=task_files(assignment, folder))
    assert engine_requirement(sources) == ("dlgrade-engine[datasets]" if extra else "dlgrade-engine")
