"""child.py's pieces, loaded in the test process (nothing here runs a submission for real)."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from graders.sandbox import process


@pytest.fixture(scope="module")
def child():
    spec = importlib.util.spec_from_file_location("_dlgrade_child_under_test", process.CHILD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make(child):
    c = child.Child(-1, -1)
    return c


def test_blocker_refuses_the_grader_and_the_reference(child):
    blocker = child._Blocker(process.BLOCKED_MODULES)
    for name in ("graders", "graders.engine.compare", "reference.numpy.numpy_basics", "student_templates",
                 "dlgrade.cli"):
        with pytest.raises(ImportError):
            blocker.find_spec(name)
    assert blocker.find_spec("numpy") is None and blocker.find_spec("dlgrade.data") is None
    assert blocker.find_spec("graders_of_my_own") is None


def test_load_submission_records_each_cells_error_and_keeps_going(child):
    c = make(child)
    report = c.load_submission([("<cell 1>", "x = 1\n"), ("<cell 2>", "raise SystemExit(3)\n"),
                                ("<cell 3>", "def f():\n    return x\n"), ("<cell 4>", "def (:\n")])
    errors = [cell["error"] for cell in report["cells"]]
    assert errors[0] is None and errors[2] is None
    assert errors[1]["type"] == "SystemExit" and errors[3]["type"] == "SyntaxError"
    assert report["names"]["f"] == "function" and report["names"]["x"] == "int"
    sys.modules.pop(child.SUBMISSION_NAME, None)


def test_describe_shows_only_the_submissions_frames_and_survives_a_hostile_str(child):
    c = make(child)

    class Nasty(Exception):
        def __str__(self):
            raise RuntimeError("no")

    c.load_submission([("<cell 1>", "def f(e):\n    raise e\n")])
    try:
        c.module.f(Nasty())
    except Nasty as exc:
        d = c.describe(exc)
    assert d["type"] == "Nasty" and d["message"] == "<unprintable>"
    assert "<cell 1>" in d["traceback"] and "test_child.py" not in d["traceback"]
    sys.modules.pop(child.SUBMISSION_NAME, None)


def test_keep_turns_objects_and_subclasses_into_handles(child):
    c = make(child)

    class F(float):
        pass

    encoded = c.encode([F(1.0), np.arange(3.0), {"a": object()}])
    assert "$handle" in encoded[0] and "$array" in encoded[1]
    assert "$handle" in encoded[2]["$dict"]["a"]
    assert len(c.handles) == 2


def test_invoke_reports_system_exit_and_unsendable_results(child):
    c = make(child)
    reply = c.invoke(lambda: (_ for _ in ()).throw(SystemExit(2)), [], {}, {"seed": 0})
    assert not reply["ok"] and reply["error"]["type"] == "SystemExit"
    with pytest.raises(child.wire.WireError):
        c.invoke(lambda: np.array([object()]), [], {}, {"seed": 0})


def test_reseed_makes_calls_repeatable(child):
    c = make(child)
    c.reseed(5)
    a = np.random.rand(3)
    c.reseed(5)
    assert np.array_equal(a, np.random.rand(3))


def test_reseed_seeds_torch_as_torch_manual_seed_does(child):
    import torch

    c = make(child)
    c.torch = torch
    c.reseed(5)
    a = (torch.rand(3), torch.randn(2), torch.randint(0, 10**6, (2,)))
    torch.manual_seed((c.base_seed + 5) % 2**32)
    b = (torch.rand(3), torch.randn(2), torch.randint(0, 10**6, (2,)))
    assert all(torch.equal(x, y) for x, y in zip(a, b))


def test_callables_built_from_specs_record_their_calls(child):
    c = make(child)
    schedule = c.resolve_callable("schedule", {"values": [0.1, 0.01]})
    assert schedule(0) == 0.1 and schedule(5) == 0.01 and schedule.calls == [0, 5]
    with pytest.raises(child.wire.WireError):
        c.resolve_callable("shell", {})
