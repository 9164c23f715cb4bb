"""dlgrade.selfcheck: a student's check from a notebook runs the visible checks only."""

from __future__ import annotations

import dataclasses
import sys
import types

import numpy as np
import pytest

import graders.assignments
from dlgrade.selfcheck import NOTEBOOK_SUBMISSION, check_notebook, hidden_note
from graders.courses import Catalog
from graders.engine import expect
from graders.engine.assignment import Assignment
from graders.engine.checks import Check, CheckFailed, Visibility
from graders.sandbox.limits import Limits

NUMPY_BASICS = graders.assignments.get("numpy_basics")


def test_reference_self_check_passes_with_only_visible_checks():
    report = check_notebook("numpy_basics", path=str(NUMPY_BASICS.reference), show=False)
    visible = [c.name for c in NUMPY_BASICS.all_checks() if c.visibility is Visibility.VISIBLE]
    hidden = [c for c in NUMPY_BASICS.all_checks() if c.visibility is not Visibility.VISIBLE]
    assert [t.name for t in report.tests] == visible
    assert all(t.visibility == "visible" for t in report.tests)
    assert report.hidden_not_run == len(hidden)
    assert report.score == report.max_score > 0


def _check_relu(ctx):
    z = np.array([-1.0, 2.0])
    got = expect.array(ctx.call("relu", z), "relu(z)", (2,))
    if not np.array_equal(got, [0.0, 2.0]):
        raise CheckFailed("relu(z) is wrong.")


def _tiny_checks(options):
    yield Check("relu: visible", _check_relu, needs=("relu",))
    yield Check("relu: hidden", _check_relu, visibility=Visibility.HIDDEN, needs=("relu",))
    yield Check("relu: after the due date", _check_relu, visibility=Visibility.AFTER_DUE_DATE,
                needs=("relu",))


@pytest.fixture
def tiny(monkeypatch):
    a = Assignment(id="tiny", title="Tiny", contract=("relu",), checks=_tiny_checks,
                   reference=NUMPY_BASICS.reference, limits=Limits(cpu_s=60, memory_mb=2048))
    real_get = Catalog.get
    monkeypatch.setattr(Catalog, "get", lambda self, aid: a if aid == "tiny" else real_get(self, aid))
    return a


def test_hidden_checks_are_not_run_and_are_counted(tiny):
    report = check_notebook("tiny", path=str(tiny.reference), show=False)
    assert [t.name for t in report.tests] == ["relu: visible"]
    assert report.hidden_not_run == 2


def test_show_prints_the_report_once_and_says_how_many_hidden_checks_were_not_run(tiny, capsys):
    assert check_notebook("tiny", path=str(tiny.reference)) is None  # nothing more for Jupyter to print
    out = capsys.readouterr().out
    assert out.count("PASS  relu: visible") == 1
    assert "2 hidden check(s) were not run" in out
    assert out.rstrip().endswith("Hidden checks run when you submit.")


def test_without_hidden_checks_the_report_does_not_mention_them(tiny, monkeypatch, capsys):
    visible_only = dataclasses.replace(tiny, checks=lambda options: iter(list(_tiny_checks(options))[:1]))
    monkeypatch.setattr(Catalog, "get", lambda self, aid: visible_only)
    check_notebook("tiny", path=str(tiny.reference))
    out = capsys.readouterr().out
    assert "PASS  relu: visible" in out
    assert "hidden" not in out.lower()


def test_hidden_note_is_none_without_hidden_checks(tiny):
    report = check_notebook("tiny", path=str(tiny.reference), show=False)
    assert hidden_note(report) == "Hidden checks run when you submit."
    report.hidden_not_run = 0
    assert hidden_note(report) is None


def test_show_false_prints_nothing(tiny, capsys):
    check_notebook("tiny", path=str(tiny.reference), show=False)
    assert capsys.readouterr().out == ""


def test_unknown_assignment_is_a_key_error():
    with pytest.raises(KeyError):
        check_notebook("no_such_assignment", path="x.py", show=False)


def test_without_a_notebook_and_without_a_path_it_says_how_to_use_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", None)  # IPython not importable
    with pytest.raises(RuntimeError, match="run this from a Jupyter notebook"):
        check_notebook("numpy_basics", show=False)


def _fake_ipython(history):
    shell = types.SimpleNamespace(user_ns={"In": history})
    return types.SimpleNamespace(get_ipython=lambda: shell)


def test_in_a_notebook_it_grades_the_executed_cells_in_order(tiny, monkeypatch, capsys):
    history = ["",  # IPython's In[0] is empty
               "%matplotlib inline\nimport numpy as np",
               "def relu(z):\n    return z  # first try, wrong",
               "def relu(z):\n    return np.maximum(z, 0)  # the fix, run later",
               "from dlgrade.selfcheck import check_notebook\ncheck_notebook('tiny')"]
    monkeypatch.setitem(sys.modules, "IPython", _fake_ipython(history))
    report = check_notebook("tiny", show=False)
    assert [t.status for t in report.tests] == ["passed"]
    assert report.submission == NOTEBOOK_SUBMISSION
    # the magic is reported as `dlgrade check` reports it; the self-check cell is not re-run
    assert report.load_messages == ["cell 1: IPython magics or shell commands were not run."]


def test_in_a_notebook_the_last_definition_wins(tiny, monkeypatch):
    history = ["", "import numpy as np",
               "def relu(z):\n    return np.maximum(z, 0)",
               "def relu(z):\n    return z  # broken afterwards"]
    monkeypatch.setitem(sys.modules, "IPython", _fake_ipython(history))
    report = check_notebook("tiny", show=False)
    assert [t.status for t in report.tests] == ["failed"]
    assert report.tests[0].output == "relu(z) is wrong."


def test_a_kernel_without_history_is_not_a_notebook(tiny, monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", _fake_ipython([""]))
    with pytest.raises(RuntimeError, match="no executed cells found"):
        check_notebook("tiny", show=False)


def test_in_a_notebook_a_traceback_names_the_cell_by_its_execution_count(tiny, monkeypatch):
    history = ["", "import numpy as np",
               "def relu(z):\n    return np.maximum(z, 0)",
               "from dlgrade.selfcheck import check_notebook\ncheck_notebook('tiny')",
               "def scale(x):\n    return x + undefined_name\n\ny = scale(1.0)"]
    monkeypatch.setitem(sys.modules, "IPython", _fake_ipython(history))
    report = check_notebook("tiny", show=False)
    message, = report.load_messages
    assert message.startswith("<cell 4> raised NameError")
    assert "<cell 4>, line 4, in <module>" in message and "<cell 4>, line 2, in scale" in message
    assert ".py" not in message
