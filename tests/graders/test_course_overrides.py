"""course.toml overrides an assignment without copying it: points, visibility, timeouts,
option defaults and trained bounds per check, and extra checks (hidden ones included) from a
folder named after the assignment; the id stays, so its notebooks keep working. Anything it
names that does not exist is a CourseError naming the table."""

from __future__ import annotations

import dataclasses

import pytest

from graders.course_config import CourseError
from graders.courses import catalog
from graders.engine.checks import Visibility
from graders.engine.runner import grade
from tests.tiny_course import ASSIGNMENT_ID, HIDDEN_CHECK, VALUE_CHECK, write_tiny_course

EXTRA_CHECK = "relu: zero for negative inputs (course check)"
EXTRA_CHECKS_MODULE = f'''"""A course's own hidden check of numpy_basics."""

import numpy as np

from graders.engine.checks import Check, CheckFailed, Visibility


def check_relu_zero_for_negatives(ctx):
    got = np.asarray(ctx.call("relu", -np.arange(1.0, 5.0)), dtype=np.float64)
    if np.any(got != 0.0):
        raise CheckFailed("relu is not zero for negative inputs", expected="0", got=str(got))


def yield_checks(options):
    yield Check({EXTRA_CHECK!r}, check_relu_zero_for_negatives, points=3.0, visibility=Visibility.HIDDEN)
'''


def _course(tmp_path, toml: str):
    return write_tiny_course(tmp_path / "course", toml)


def test_points_visibility_timeout_and_option_defaults_are_overridden_by_check_name(tmp_path):
    course = _course(tmp_path, f'''
[course]
name = "ml101"

[assignments.{ASSIGNMENT_ID}]
options = {{ size = 7 }}

[assignments.{ASSIGNMENT_ID}.checks."{VALUE_CHECK}"]
points = 5
visibility = "after_due_date"
timeout_s = 3.5

[assignments.{ASSIGNMENT_ID}.checks."{HIDDEN_CHECK}"]
visibility = "visible"
''')
    assignment = catalog(course).get(ASSIGNMENT_ID)
    checks = {c.name: c for c in assignment.all_checks()}
    assert (checks[VALUE_CHECK].points, checks[VALUE_CHECK].visibility, checks[VALUE_CHECK].timeout_s) == (
        5.0, Visibility.AFTER_DUE_DATE, 3.5)
    assert (checks[HIDDEN_CHECK].points, checks[HIDDEN_CHECK].visibility) == (1.0, Visibility.VISIBLE)
    assert assignment.options == {"size": 7} and assignment.id == ASSIGNMENT_ID
    report = grade(str(assignment.reference), assignment)
    assert (report.score, report.max_score) == (6.0, 6.0)


def test_a_bundled_assignment_is_overridden_under_its_own_id(tmp_path):
    course = _course(tmp_path, '''
[assignments.numpy_basics.checks."relu: values on random inputs"]
points = 4
visibility = "hidden"
''')
    checks = {c.name: c for c in catalog(course).get("numpy_basics").all_checks()}
    assert (checks["relu: values on random inputs"].points,
            checks["relu: values on random inputs"].visibility) == (4.0, Visibility.HIDDEN)
    untouched = {c.name: c for c in catalog().get("numpy_basics").all_checks()}
    assert untouched["relu: values on random inputs"].visibility is Visibility.VISIBLE


def test_a_trained_checks_bound_is_overridden_in_its_threshold_declaration(tmp_path):
    name = "train: held-out reconstruction"
    course = _course(tmp_path, f'''
[assignments.autoencoder_numpy.checks."{name}"]
bound = 0.5
''')
    bundled = {c.name: c for c in catalog().get("autoencoder_numpy").all_checks()}[name]
    overridden = {c.name: c for c in catalog(course).get("autoencoder_numpy").all_checks()}[name]
    assert overridden.threshold.for_dataset("digits").bound == 0.5
    assert overridden.threshold.metric == bundled.threshold.metric
    assert bundled.threshold.for_dataset("digits").bound < 0.5


def test_a_folder_named_after_a_bundled_assignment_extends_it_with_hidden_checks(tmp_path):
    course = _course(tmp_path, '''
[assignments.numpy_basics]
extra_checks = ["more_checks"]
''')
    (course / "numpy_basics").mkdir()
    (course / "numpy_basics" / "more_checks.py").write_text(EXTRA_CHECKS_MODULE, encoding="utf-8")
    found = catalog(course)
    assert found.ids().count("numpy_basics") == 1
    assignment = found.get("numpy_basics")
    checks = {c.name: c for c in assignment.all_checks()}
    assert checks[EXTRA_CHECK].visibility is Visibility.HIDDEN and checks[EXTRA_CHECK].needs == ("relu",)
    assert len(checks) == len(catalog().get("numpy_basics").all_checks()) + 1
    assert assignment.reference == catalog().get("numpy_basics").reference
    report = grade(str(assignment.reference), assignment, select=EXTRA_CHECK.__eq__)
    assert [(t.name, t.passed) for t in report.tests] == [(EXTRA_CHECK, True)]
    wrong = tmp_path / "wrong.py"
    wrong.write_text("import numpy as np\n\ndef relu(z):\n    return np.abs(z)\n", encoding="utf-8")
    report = grade(str(wrong), assignment, select=EXTRA_CHECK.__eq__)
    assert [(t.name, t.passed) for t in report.tests] == [(EXTRA_CHECK, False)]
    visible_only = grade(str(assignment.reference), assignment, include_hidden=False, select=EXTRA_CHECK.__eq__)
    assert visible_only.tests == [] and visible_only.hidden_not_run == 1


@pytest.mark.parametrize("toml, message", [
    (f'[assignments.{ASSIGNMENT_ID}.checks."double: nosuch"]\npoints = 1\n', "has no such check"),
    (f'[assignments.{ASSIGNMENT_ID}]\noptions = {{ nosuch = 1 }}\n', r"declares no option\(s\) \['nosuch'\]"),
    (f'[assignments.{ASSIGNMENT_ID}.checks."{VALUE_CHECK}"]\nbound = 0.1\n', "bound is only for a trained check"),
    (f'[assignments.{ASSIGNMENT_ID}.checks."{VALUE_CHECK}"]\nvisibility = "secret"\n', "visibility must be one of"),
    (f'[assignments.{ASSIGNMENT_ID}.checks."{VALUE_CHECK}"]\nbound = {{ digits = "x" }}\n', "table of numbers"),
    (f'[assignments.{ASSIGNMENT_ID}.checks."{VALUE_CHECK}"]\npoints = "2"\n', "points must be a number"),
    (f'[assignments.{ASSIGNMENT_ID}.checks."{VALUE_CHECK}"]\npoints = -1\n', "points must be >= 0"),
    (f'[assignments.{ASSIGNMENT_ID}.checks."{VALUE_CHECK}"]\nweight = 1\n', r"unknown key\(s\) \['weight'\]"),
    (f'[assignments.{ASSIGNMENT_ID}]\nextra_checks = ["nosuch"]\n', "extra_checks: no module"),
    (f'[assignments.{ASSIGNMENT_ID}]\nextra_checks = "checks"\n', "extra_checks must be a list"),
    ('[assignments.nosuch]\noptions = {}\n', r"\[assignments.nosuch\]: no such assignment"),
    ('[grading]\nx = 1\n', "unknown table"),
    ('[course]\nname = 3\n', "holds only name"),
    ('[course\n', "not valid TOML"),
])
def test_a_wrong_override_is_a_clear_error_naming_course_toml(tmp_path, toml, message):
    course = _course(tmp_path, toml)
    with pytest.raises(CourseError, match=message) as caught:
        catalog(course).get(ASSIGNMENT_ID)
    assert str(course / "course.toml") in str(caught.value)


TRAINED_MODULE = '''"""A check graded against its own threshold declaration, as a trained check is."""

import numpy as np

from graders.engine.checks import Check, CheckFailed, Kind
from graders.engine.thresholds import Threshold

BOUND = Threshold(metric="double(1)", bound=1.5, higher_is_better=True, reference_values=(2.0,) * 5,
                  seeds=(0, 1, 2, 3, 4), margin=0.25, cpu_budget_s=1.0)


def check_reaches_the_bound(ctx):
    value = float(np.asarray(ctx.call("double", np.ones(1)))[0])
    if not ctx.check.threshold.passes(value):
        raise CheckFailed("below the bound", expected=ctx.check.threshold.describe(), got=str(value))


def yield_checks(options):
    yield Check("double: reaches the bound", check_reaches_the_bound, kind=Kind.THRESHOLD, threshold=BOUND)
'''


@pytest.mark.parametrize("bound, passes", [(None, True), ("2.5", False), ("{ digits = 1.0 }", True)])
def test_an_overridden_bound_is_what_the_check_grades_against(tmp_path, bound, passes):
    toml = f'[assignments.{ASSIGNMENT_ID}]\nextra_checks = ["trained"]\n'
    if bound is not None:
        toml += f'\n[assignments.{ASSIGNMENT_ID}.checks."double: reaches the bound"]\nbound = {bound}\n'
    course = _course(tmp_path, toml)
    (course / ASSIGNMENT_ID / "trained.py").write_text(TRAINED_MODULE, encoding="utf-8")
    assignment = catalog(course).get(ASSIGNMENT_ID)
    report = grade(str(assignment.reference), assignment, select="double: reaches the bound".__eq__)
    assert [t.passed for t in report.tests] == [passes], report.tests[0].output


@dataclasses.dataclass(frozen=True)
class PerDataset:
    """A declaration calibrated per data set, overridden through `with_bound` (as a TrainedCheck is)."""

    bounds: dict

    def with_bound(self, bound, dataset="digits"):
        if dataset not in self.bounds:
            raise ValueError(f"no calibrated threshold for {dataset!r}")
        return PerDataset({**self.bounds, dataset: bound})


def test_a_declaration_calibrated_per_data_set_is_overridden_per_data_set():
    from graders.course_config import CheckOverride
    from graders.course_overrides import overridden
    from graders.engine.checks import Check

    check = Check("train: accuracy", lambda ctx: None, threshold=PerDataset({"digits": 0.9, "mnist": 0.8}))
    assert overridden(check, CheckOverride(bound=0.5), "t").threshold.bounds == {"digits": 0.5, "mnist": 0.8}
    assert overridden(check, CheckOverride(bound={"mnist": 0.7}), "t").threshold.bounds == {"digits": 0.9,
                                                                                            "mnist": 0.7}
    with pytest.raises(CourseError, match="bound: no calibrated threshold for 'cifar'"):
        overridden(check, CheckOverride(bound={"cifar": 0.7}), "t")


def _gan_check(found):
    from graders.assignments.gan_torch.checks import TRAINED_CHECK

    return {c.name: c for c in found.get("gan_torch").all_checks()}[TRAINED_CHECK]


def test_one_bound_of_a_group_is_overridden_by_its_key_the_others_kept(tmp_path):
    from graders.assignments.gan_torch.checks import TRAINED_CHECK

    course = _course(tmp_path, f'''
[assignments.gan_torch.checks."{TRAINED_CHECK}".bounds]
gan_confident_fraction = 0.7
gan_distinct_classes = {{ digits = 9 }}
''')
    bundled, overridden = _gan_check(catalog()).threshold, _gan_check(catalog(course)).threshold
    assert overridden.keys() == bundled.keys()
    assert overridden["gan_confident_fraction"].for_dataset("digits").bound == 0.7
    assert overridden["gan_distinct_classes"].for_dataset("digits").bound == 9.0
    assert (overridden["gan_not_memorised"].for_dataset("digits").bound
            == bundled["gan_not_memorised"].for_dataset("digits").bound)
    assert bundled["gan_confident_fraction"].for_dataset("digits").bound != 0.7


@pytest.mark.parametrize("table, message", [
    ("bounds = { nosuch = 0.5 }", r"bounds: unknown key\(s\) \['nosuch'\]; this check's bounds are gan_distinct"),
    ("bound = 0.5", r"several bounds \(gan_distinct_classes, gan_confident_fraction, gan_not_memorised\).*bounds ="),
    ("bounds = { gan_confident_fraction = { cifar = 0.5 } }", "bounds.gan_confident_fraction: no calibrated"),
    ("bounds = { gan_confident_fraction = \"x\" }", "bounds.gan_confident_fraction must be a number"),
    ("bounds = 0.5", "bounds must be a table of bounds by key"),
    ("bounds = {}", "bounds is empty"),
    ("bound = 0.5\nbounds = { gan_confident_fraction = 0.5 }", "not both"),
])
def test_a_wrong_override_of_a_groups_bound_is_a_clear_error(tmp_path, table, message):
    from graders.assignments.gan_torch.checks import TRAINED_CHECK

    course = _course(tmp_path, f'[assignments.gan_torch.checks."{TRAINED_CHECK}"]\n{table}\n')
    with pytest.raises(CourseError, match=message) as caught:
        catalog(course).get("gan_torch")
    assert str(course / "course.toml") in str(caught.value)


def test_bounds_on_a_check_graded_against_one_bound_is_a_clear_error(tmp_path):
    course = _course(tmp_path, '''
[assignments.autoencoder_numpy.checks."train: held-out reconstruction".bounds]
x = 0.5
''')
    with pytest.raises(CourseError, match="has one bound: use bound = ..."):
        catalog(course).get("autoencoder_numpy")
