"""A full grade leaves nothing behind: run as an instructor runs it (`python -m dlgrade grade`,
sandboxes from the fork server and fresh ones, in both modes), the system's temporary folder
holds nothing afterwards (no sandbox directory, no fork server directory) and no process of
it survives."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.hostile import corpus

pytestmark = pytest.mark.skipif(not corpus.protections()["linux"], reason="processes are looked for in /proc")
MODES = ("default", "autograder")


@pytest.mark.parametrize("forkserver", ["1", "0"], ids=["forkserver", "fresh"])
@pytest.mark.parametrize("mode", MODES)
def test_a_full_grade_leaves_nothing_in_the_temporary_folder(mode, forkserver, tmp_path):
    if mode == "autograder" and not corpus.protections()["root"]:
        pytest.skip("autograder mode's user switch needs root")
    tmp, cwd = tmp_path / "tmp", tmp_path / "cwd"
    tmp.mkdir()
    cwd.mkdir()
    reference = corpus.REPO / "reference" / "numpy" / "numpy_basics.py"
    env = dict(os.environ, TMPDIR=str(tmp), DLGRADE_AUTOGRADER="1" if mode == "autograder" else "0",
               DLGRADE_FORKSERVER=forkserver)
    out = tmp_path / "report.json"
    grader = subprocess.Popen([sys.executable, "-m", "dlgrade", "grade", str(reference), "--assignment",
                               "numpy_basics", "--format", "json", "--out", str(out)], cwd=cwd, env=env)
    assert grader.wait(timeout=300) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["score"] == report["max_score"] > 0
    assert sorted(p.name for p in tmp.iterdir()) == []
    assert _marked(f"DLGRADE_SANDBOX={grader.pid}-".encode()) == []


def _marked(mark: bytes) -> list[str]:
    """Processes whose environment carries the grader's sandbox mark."""
    found = []
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                if mark in f.read():
                    found.append(name)
        except OSError:
            continue
    return found
