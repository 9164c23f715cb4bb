"""A student pack installed as a student installs it, into a fresh virtual environment:
numpy_basics (recorded values), theory (a sealed answer key) and sequences_torch (PyTorch,
series checks recorded, the others needing no recording). PyTorch first where the pack
needs it (the README's step), then the one documented command (`pip install --find-links
wheels .` in the pack's folder, the dlgrade-engine wheel in `wheels/`); then its notebook's
self-check cell runs in a real Jupyter kernel there, and not one installed file (PyTorch's
own set aside) holds reference code or a hidden check's name.

Slow: it installs the engine's requirements (from PyPI or pip's cache; skipped without them).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys

import nbformat
import pytest

from graders import assignments
from graders.tooling.student_pack.build import REPO, build_student_pack
from graders.tooling.student_pack.leaks import scan
from graders.tooling.student_pack.unrecorded import TORCH_CPU_INDEX
from tests.packaging.test_engine_distribution import _in_venv, hidden_check_names, solution_lines
from tests.packaging.test_engine_distribution import scan as scan_for_lines

KERNEL_RUNNER = '''
import sys
import nbclient, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True).execute()
for cell in nb.cells:
    for output in cell.get("outputs", []):
        print(output.get("text", "") or output.get("data", {}).get("text/plain", ""))
        print(output.get("ename", ""), output.get("evalue", ""))
'''


@pytest.mark.slow
# recorded values; a sealed answer key; PyTorch, recorded series checks and unrecorded ones
@pytest.mark.parametrize("assignment_id", ["numpy_basics", "theory", "sequences_torch"])
def test_an_installed_pack_runs_its_self_check_in_a_kernel_and_holds_no_solution(assignment_id, tmp_path):
    assignment = assignments.get(assignment_id)
    summary = build_student_pack(assignment, tmp_path / "pack", with_engine=True)
    venv = tmp_path / "venv"
    (tmp_path / "home").mkdir()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    if "torch" in assignment.preload:
        # the README's first step; the grader's own torch release, from the index or pip's cache
        # rather than the CPU index the README names (which a test machine may not reach)
        torch = _in_venv(venv, [python, "-m", "pip", "install", "--quiet", f"torch=={_torch_release()}"],
                         tmp_path, timeout=1800)
        if torch.returncode:
            pytest.skip(f"torch could not be installed:\n{torch.stderr[-2000:]}")
        torch_step = summary.install.split(" && ")[0]
        assert torch_step.endswith(f"--index-url {TORCH_CPU_INDEX}")
        assert torch_step in (summary.folder / "README.md").read_text(encoding="utf-8")
    # the command the pack's README, docs/courses.md and README.md give, run as written, in the
    # pack's folder, with the fresh environment activated
    documented = "pip install --find-links wheels ."
    assert summary.install.split(" && ")[-1] == documented
    for doc in (summary.folder / "README.md", REPO / "docs" / "courses.md", REPO / "README.md"):
        assert documented in doc.read_text(encoding="utf-8"), doc
    install = _in_venv(venv, shlex.split(documented), summary.folder, timeout=900,
                       PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}", VIRTUAL_ENV=str(venv))
    kernel = _in_venv(venv, [python, "-m", "pip", "install", "--quiet", "ipykernel", "nbclient"], tmp_path,
                      timeout=900)
    if install.returncode or kernel.returncode:
        pytest.skip(f"the pack's requirements could not be installed (no PyPI, no pip cache?):\n"
                    f"{(install.stderr + kernel.stderr)[-2000:]}")
    # the student's notebook: their (here: the reference's) code, then the pack's self-check cell
    template = nbformat.read(summary.folder / f"{assignment_id}.ipynb", as_version=4)
    nb = nbformat.v4.new_notebook(metadata=template.metadata)
    nb.cells = [nbformat.v4.new_code_cell(assignment.reference.read_text(encoding="utf-8")),
                [c for c in template.cells if c.cell_type == "code"][-1]]
    nbformat.write(nb, tmp_path / "work.ipynb")
    (tmp_path / "run_kernel.py").write_text(KERNEL_RUNNER, encoding="utf-8")
    ran = _in_venv(venv, [python, "run_kernel.py", "work.ipynb"], tmp_path, timeout=900)
    assert ran.returncode == 0, ran.stderr[-3000:]
    score = re.search(r"Score: (\d+) / (\d+)", ran.stdout)
    assert score and score[1] == score[2] and int(score[2]) > 0, ran.stdout[-3000:]
    assert "needs the full grader" not in ran.stdout
    site = next((venv / "lib").glob("python*/site-packages"))
    # torch's own files (PyTorch's, not the pack's or the engine's: some 1 GB) are set aside
    # before the scans
    (tmp_path / "set_aside").mkdir()
    for path in sorted({p for name in ("torch", "functorch") for p in site.glob(f"{name}*")}):  # torchgen too
        shutil.move(path, tmp_path / "set_aside" / path.name)
    assert (site / f"dlgrade_selfcheck_{assignment_id}").is_dir()
    assert not (site / "reference").exists() and not (site / "graders" / "assignments" / assignment_id).exists()
    assert scan(venv, assignment.reference.read_text(encoding="utf-8"), sorted(hidden_check_names())) == []
    assert scan_for_lines(venv, solution_lines() | hidden_check_names()) == {}


def _torch_release() -> str:
    import torch

    return torch.__version__.split("+")[0]
