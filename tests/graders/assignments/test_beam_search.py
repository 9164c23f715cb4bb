"""The beam_search grader beyond the mutants: its models, the max_len convention it pins,
submissions that differ from the reference in allowed ways, and its feedback. Most checks
run in-process through a fake context whose `task` calls tasks.py directly; a few grades
go through the real sandbox.

The reference and every mutant are graded in tests/graders/test_mutants.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

from graders import assignments
from graders.assignments.beam_search import cases, tasks
from graders.engine.checks import CheckFailed, Kind
from graders.engine.runner import grade
from tests.graders.assignments.task_files import top_level_imports
from tests.mutants import Mutant, load_module_from_source, reference_path

ASSIGNMENT = assignments.get("beam_search")
SOURCE = reference_path("beam_search").read_text(encoding="utf-8")
TEMPLATE = Path(__file__).resolve().parents[3] / "student_templates" / "beam_search.ipynb"
PROPERTY_CHECKS = [c for c in ASSIGNMENT.all_checks() if c.kind is Kind.PROPERTY]

# A beam of fixed width (never shrinking as hypotheses finish) that returns the best
# beam_width finished hypotheses: another valid beam search, with other results than the
# reference's at intermediate widths. (It is not in tests/mutants: UNUSUAL entries must
# match the reference exactly.)
FIXED_WIDTH = Mutant(
    "fixed_width",
    "        k = beam_width - len(finished)  # the beam shrinks by one for each finished hypothesis",
    "        k = beam_width",
)
FIXED_WIDTH_CUT = Mutant("cut", "    return finished\n", "    return finished[:beam_width]\n")
MAX_LEN_WITH_START = Mutant("short", "for _ in range(max_len):", "for _ in range(max_len - 1):")


class FakeContext:
    """ctx.task runs the task in this process on `module`."""

    def __init__(self, module):
        self.module = module

    def task(self, name, **kwargs):
        return getattr(tasks, f"task_{name}")(self.module, **kwargs)


def edited(*edits: Mutant):
    source = SOURCE
    for e in edits:
        source = e.apply(source)
    return load_module_from_source(source, "edited_beam_search")


def failures(module) -> dict[str, str]:
    """Check name -> feedback of every check that fails in-process."""
    out = {}
    ctx = FakeContext(module)
    for c in ASSIGNMENT.all_checks():
        try:
            c.run(ctx)
        except CheckFailed as exc:
            out[c.name] = exc.render()
    return out


def _write(tmp_path, source: str) -> str:
    path = tmp_path / "submission.py"
    path.write_text(source, encoding="utf-8")
    return str(path)


# ------------------------------------------------------------------ check list and models


def test_every_check_is_of_beam_search_and_the_properties_have_time_to_shrink():
    all_checks = ASSIGNMENT.all_checks()
    assert {c.function for c in all_checks} == {"beam_search"} == set(ASSIGNMENT.contract)
    assert len(PROPERTY_CHECKS) == 7 and all(c.timeout_s >= 60 for c in PROPERTY_CHECKS)
    assert sum(c.points for c in all_checks) == 10.5


def test_the_tasks_file_imports_only_stdlib_and_numpy():
    tree = ast.parse(Path(tasks.__file__).read_text(encoding="utf-8"))
    imported = top_level_imports(tree)
    assert imported <= {"math", "os", "sys", "traceback", "numpy"}
    assert ASSIGNMENT.tasks == (Path(tasks.__file__),)


def test_every_prefix_of_a_random_model_has_its_own_distribution():
    # NumPy's SeedSequence ignores trailing zero words: keyed on [seed, *prefix], the
    # prefixes (0,), (0, 0) and (0, 0, 0) would share one distribution
    f = tasks.random_model(0, 3)
    rows = [f(p) for p in ((0,), (0, 0), (0, 0, 0), (0, 1), (1,), (1, 0))]
    assert all(not np.allclose(a, b) for i, a in enumerate(rows) for b in rows[i + 1:])
    assert all(abs(np.exp(r).sum() - 1) < 1e-12 for r in rows)


@settings(max_examples=50, deadline=None)
@given(cases.models())
def test_drawn_models_are_small_and_start_differs_from_end(case):
    assert 0 <= case["start"] < case["vocab"] and 0 <= case["end"] < case["vocab"]
    assert case["start"] != case["end"] and 1 <= case["beam_width"] <= 8
    assert len(cases.all_sequences(case)) <= 121  # the widest beam any check asks for


def test_a_counterexample_shows_the_probabilities_by_prefix():
    case = {"seed": 1, "vocab": 3, "start": 0, "end": 2, "max_len": 2, "beam_width": 2}
    text = cases.render_case((case,))
    assert "beam_search(step_fn, start=0, end=2, beam_width=2, max_len=2)" in text
    assert text.count("p(next | ") == 3  # (0,), then (0, 0) and (0, 1): (0, 2) has ended
    f = tasks.random_model(1, 3)
    assert f"{np.exp(f((0, 1)))[2]:.4f}" in text


# ------------------------------------------------------------------ max_len is pinned


def test_the_template_states_what_max_len_counts():
    text = TEMPLATE.read_text(encoding="utf-8")
    assert "`max_len` counts the tokens generated **after** `start`, the `end` token included" in text


def test_counting_start_in_max_len_fails_the_ending_check_with_the_rule():
    found = failures(edited(MAX_LEN_WITH_START))
    assert "max_len counts the tokens generated AFTER start" in found["beam_search: hypotheses end at end or max_len"]


# ------------------------------------------------------------------ allowed differences


def test_the_reference_passes_every_check_in_process():
    assert failures(load_module_from_source(SOURCE, "reference")) == {}


def test_a_fixed_width_beam_that_returns_the_best_beam_width_gets_full_marks():
    module = edited(FIXED_WIDTH, FIXED_WIDTH_CUT)
    reference = load_module_from_source(SOURCE, "reference")
    f = tasks.random_model(7, 4)
    differ = [w for w in range(2, 6) if module.beam_search(f, 0, 3, w, 3) != reference.beam_search(f, 0, 3, w, 3)]
    assert differ  # really another algorithm
    assert failures(module) == {}


def test_without_the_cut_it_returns_more_than_beam_width_and_fails_only_that_check():
    assert set(failures(edited(FIXED_WIDTH))) == {"beam_search: at most beam_width results"}


def test_several_different_failures_come_back_as_one_counterexample_not_an_internal_error():
    # empty results for max_len 1, unsorted ones otherwise: two failures Hypothesis tells apart
    module = edited(Mutant("two", "    return finished\n",
                           "    return [] if max_len == 1 else finished[::-1]\n"))
    found = failures(module)
    assert "beam_search: wide beam finds the exact best" in found
    assert "Smallest failing input found" in found["beam_search: wide beam finds the exact best"]


# ------------------------------------------------------------------ real grades


def test_sequences_as_lists_fail_only_the_tuple_check(tmp_path):
    source = Mutant("lists", "    return finished\n",
                    "    return [(list(seq), score) for seq, score in finished]\n").apply(SOURCE)
    report = grade(_write(tmp_path, source), ASSIGNMENT)
    failed = {t.name: t.output for t in report.tests if not t.passed}
    assert list(failed) == ["beam_search: (tuple, score) pairs, start included"]
    assert "build tuples (seq + (v,))" in failed["beam_search: (tuple, score) pairs, start included"]


@pytest.mark.parametrize("body, words", [
    ("    return None\n", "did not return a list of (sequence, score) pairs: beam_search returned None"),
    ("    return [seq for seq, _ in finished]\n", "did not return a list of (sequence, score) pairs: "),
    ("    raise ValueError('no beam today')\n", "ValueError: no beam today"),
])
def test_wrong_returns_and_exceptions_get_feedback_not_internal_errors(tmp_path, body, words):
    source = Mutant("odd", "    return finished\n", body).apply(SOURCE)
    report = grade(_write(tmp_path, source), ASSIGNMENT, select=lambda n: n.startswith("beam_search: worked")
                   or n.startswith("beam_search: sorted"))
    outputs = [t.output for t in report.tests]
    assert len(outputs) == 2 and not any(t.passed for t in report.tests)
    assert all(words in o for o in outputs), outputs
    assert not any("internal error" in o for o in outputs)
    if "ValueError" in words:
        assert all("raise ValueError('no beam today')" in o for o in outputs)  # the submission's frame
