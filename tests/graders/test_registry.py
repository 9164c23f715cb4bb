"""The registry reads each assignment's manifest (`assignment.toml`) to list and validate ids:
no assignment's package, checks, torch, SymPy or Hypothesis is imported until one is asked for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from graders import assignments

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(p.name for p in assignments.HERE.iterdir() if (p / "__init__.py").is_file())

PROBE = """
import contextlib, io, json, sys
from dlgrade.cli import main
codes = []
with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(io.StringIO()) as err:
    for argv in (["list"], ["list", "nosuch"], ["grade", sys.argv[1], "-a", "nosuch"], ["check", sys.argv[1]]):
        codes.append(main(argv))
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "sympy", "hypothesis")
               or (m.startswith("graders.assignments.") and m.count(".") >= 2))
print(json.dumps({"codes": codes, "heavy": heavy, "out": out.getvalue(), "err": err.getvalue()}))
"""


def test_every_assignment_package_has_a_manifest():
    assert PACKAGES and assignments.assignment_ids() == PACKAGES


@pytest.mark.parametrize("aid", PACKAGES)
def test_the_manifest_agrees_with_the_assignment(aid):
    manifest, assignment = assignments.manifests()[aid], assignments.get(aid)
    assert (manifest.id, manifest.title, manifest.preload) == (assignment.id, assignment.title,
                                                               tuple(assignment.preload))


def test_listing_and_unknown_ids_import_no_assignment_torch_sympy_or_hypothesis(tmp_path):
    submission = tmp_path / "work.py"
    submission.write_text("def f():\n    return 1\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", PROBE, str(submission)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["codes"] == [0, 2, 2, 2]
    assert result["heavy"] == []
    assert result["out"].split()[0] == PACKAGES[0] and "unknown assignment 'nosuch'" in result["err"]
    assert "pass --assignment ID (one of: " in result["err"]


@pytest.mark.parametrize("aid", ["nosuch", "os", "../theory", "theory.checks", ""])
def test_an_id_without_a_manifest_is_a_key_error(aid):
    with pytest.raises(KeyError):
        assignments.get(aid)


def test_a_malformed_manifest_says_which_file_and_what_is_wrong(tmp_path):
    folder = tmp_path / "thing"
    folder.mkdir()
    (folder / "assignment.toml").write_text('id = "other"\ntitle = "T"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="needs id = 'thing'"):
        assignments.read_manifest(folder)
    (folder / "assignment.toml").write_text('id = "thing"\ntitle = "T"\npreload = "torch"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="preload must be a list"):
        assignments.read_manifest(folder)
    (folder / "assignment.toml").write_text('id = "thing"\ntitle = "T"\n', encoding="utf-8")
    assert assignments.read_manifest(folder).preload == ("numpy",)


@pytest.mark.parametrize("aid", PACKAGES)
def test_every_check_needs_contract_names_and_states_only_needs_its_name_does_not_imply(aid):
    assignment = assignments.get(aid)
    contract = set(assignment.contract)
    for declared in assignment.checks(dict(assignment.options)):
        if declared.needs is None:
            assert declared.function in contract, f"{declared.name}: names no contract function; state its needs"
        else:
            assert declared.needs != (declared.function,), f"{declared.name}: needs= repeats its name's function"
    for check in assignment.all_checks():
        assert check.needs and set(check.needs) <= contract, (check.name, check.needs)
