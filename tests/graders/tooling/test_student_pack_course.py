"""A course's course.toml overrides carried into a student pack: the pack's self-check gives
the course's full grader's visible checks, points, options and bounds, and a check the course
hides is in none of the pack's files."""

from __future__ import annotations

import ast
import importlib

import pytest

from dlgrade.cli import main
from graders.courses import catalog
from graders.engine.runner import grade
from graders.tooling.student_pack.build import build_student_pack
from graders.tooling.engine_dist import engine_files
from graders.tooling.student_pack.course_part import without_checks
from graders.tooling.student_pack.loading import load_pack

from .tiny_course import INIT, REFERENCE, write_tiny_course_folder

TINY_TOML = '''
[assignments.hw_tiny]
extra_checks = ["more_checks", "secret_checks"]

[assignments.hw_tiny.checks."double: values"]
points = 3
timeout_s = 7

[assignments.hw_tiny.checks."double: twice"]
visibility = "hidden"
'''

MORE_CHECKS = '''import numpy as np

from graders.engine.checks import Check
from graders.engine.compare import assert_close

from . import reference as ref


def check_double_of_ones(ctx):
    x = np.ones(3)
    assert_close(np.asarray(ctx.call("double", x), dtype=np.float64), ref.double(x), "double(ones)")


def yield_checks(options):
    yield Check("double: of ones", check_double_of_ones, points=2)
'''

SECRET_CHECKS = '''import numpy as np

from graders.engine.checks import Check, Visibility

from . import reference as ref


def check_double_secret_probe(ctx):
    x = np.full(2, 7.0)
    assert np.allclose(ctx.call("double", x), ref.double(x))


def yield_checks(options):
    yield Check("double: secret_probe_of_sevens", check_double_secret_probe, visibility=Visibility.HIDDEN)
'''


def texts_of(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes().decode("utf-8", "ignore")
            for p in folder.rglob("*") if p.is_file()}


def verdicts(report):
    return {t.name: (t.status, t.score, t.max_score) for t in report.tests}


def packed_and_full(course, assignment_id, submissions, tmp_path, slips=None):
    """The course's full grader and the pack built for it, each grading every submission
    (visible checks, the pack's secret): [(full verdicts, pack verdicts)]."""
    found = catalog(course)
    base = found.owner(assignment_id).load(assignment_id)
    summary = build_student_pack(base, tmp_path / "pack", course=found.extensions(assignment_id), slips=slips)
    pack = load_pack(summary.folder)
    secret = pack.SELF_CHECK_SECRET.encode()
    full = found.get(assignment_id)
    pairs = [(verdicts(grade(str(s), full, include_hidden=False, secret=secret)),
              verdicts(grade(str(s), pack.load_assignment(), include_hidden=False, secret=secret)))
             for s in submissions]
    return summary, pack, pairs


@pytest.fixture
def tiny_course(tmp_path):
    return write_tiny_course_folder(tmp_path / "course", TINY_TOML, {"hw_tiny/more_checks.py": MORE_CHECKS,
                                                                    "hw_tiny/secret_checks.py": SECRET_CHECKS})


def test_a_tiny_courses_pack_gives_its_full_graders_verdicts_points_and_timeouts(tiny_course, tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text(REFERENCE.replace("return np.multiply(x, 2.0)", "return 1.0 + np.multiply(x, 2.0)"))
    summary, pack, pairs = packed_and_full(tiny_course, "hw_tiny", [tiny_course / "hw_tiny" / "reference.py", wrong],
                                           tmp_path)
    for full, packed in pairs:
        assert packed == {name: full[name] for name in packed}
    (right, _), (wrong_full, wrong_packed) = pairs
    assert right["double: values"] == ("passed", 3, 3) and right["double: of ones"] == ("passed", 2, 2)
    assert wrong_packed["double: values"][0] == wrong_packed["double: of ones"][0] == "failed"
    assert set(wrong_full) - set(wrong_packed) == {"total: value"}  # its calls cannot be recorded
    checks = {c.name: c for c in pack.load_assignment().all_checks()}
    assert checks["double: values"].timeout_s == 7 and "double: twice" not in checks
    assert pack.HIDDEN_CHECKS == 3  # twice, the secret probe, and total (left to the autograder)


def test_a_check_the_course_hides_and_its_extra_hidden_check_are_in_no_file_of_the_pack(tiny_course, tmp_path):
    summary, _, _ = packed_and_full(tiny_course, "hw_tiny", [], tmp_path)
    files = texts_of(summary.folder)
    for secret in ("double: twice", "check_double_twice", "secret_probe_of_sevens", "check_double_secret_probe",
                   "secret_checks"):
        assert not [path for path, text in files.items() if secret in text], secret
    assert any("check_double_of_ones" in text for text in files.values())


def test_the_command_packs_a_course_folders_overrides_without_a_warning(tiny_course, tmp_path, capsys):
    assert main(["student-pack", "hw_tiny", "--course", str(tiny_course), "--out", str(tmp_path / "p")]) == 0
    captured = capsys.readouterr()
    assert "warning" not in captured.err and "3 visible checks, 2 hidden" in captured.out


BOUND_TOML = '''
[assignments.hw_tiny]
extra_checks = ["trained_checks"]
options = { factor = 2.0 }

[assignments.hw_tiny.checks."double: mean within the bound"]
bound = 4.5
'''

TRAINED_CHECKS = '''import numpy as np

from graders.engine.checks import Check, CheckFailed, Kind
from graders.engine.thresholds import Threshold

BOUND = Threshold(metric="mean of double(factor)", bound=10.0, higher_is_better=False, reference_values=(2.0,),
                  seeds=(0,), margin=0.1, cpu_budget_s=1.0)


def check_double_mean(ctx):
    value = float(np.mean(ctx.call("double", np.full(3, float(ctx.options["factor"])))))
    if not ctx.check.threshold.passes(value):
        raise CheckFailed("the mean is over the bound", expected=f"<= {ctx.check.threshold.bound}", got=value)


def yield_checks(options):
    yield Check("double: mean within the bound", check_double_mean, kind=Kind.THRESHOLD, threshold=BOUND)
'''


def test_a_packs_self_check_grades_with_the_courses_option_defaults_and_bounds(tmp_path):
    course = write_tiny_course_folder(tmp_path / "course", BOUND_TOML, {"hw_tiny/trained_checks.py": TRAINED_CHECKS})
    (course / "hw_tiny" / "__init__.py").write_text(INIT.replace("reference=", "options={\"factor\": 1.0}, reference="))
    wrong = tmp_path / "wrong.py"
    wrong.write_text(REFERENCE.replace("return np.multiply(x, 2.0)", "return 1.0 + np.multiply(x, 2.0)"))
    _, pack, pairs = packed_and_full(course, "hw_tiny", [course / "hw_tiny" / "reference.py", wrong], tmp_path)
    for full, packed in pairs:
        assert packed == {name: full[name] for name in packed}
    # with the assignment's own defaults (factor 1, bound 10) the wrong double's mean, 3, passes;
    # with the course's (factor 2, bound 4.5) it is 5, and fails
    assert [packed["double: mean within the bound"][0] for _, packed in pairs] == ["passed", "failed"]
    assert pack.load_assignment().options == {"factor": 2.0}
    trained = {c.name: c for c in pack.load_assignment().all_checks()}["double: mean within the bound"]
    assert trained.threshold.bound == 4.5


NUMPY_BASICS_TOML = '''
[assignments.numpy_basics]
extra_checks = ["relu_extra", "relu_hidden_extra"]

[assignments.numpy_basics.checks."relu: values on random inputs"]
points = 4

[assignments.numpy_basics.checks."softmax: rows sum to 1 and ignore a constant shift"]
visibility = "hidden"

[assignments.numpy_basics.checks."tanh: values on random inputs"]
visibility = "hidden"
'''

RELU_EXTRA = '''import numpy as np

from graders.assignments.numpy_basics.checks import SHAPE
from graders.engine.checks import Check
from graders.engine.common import check_array_values
from reference.numpy import numpy_basics as ref


def check_relu_wide_inputs(ctx):
    z = ctx.rng.normal(0, 10, SHAPE)
    check_array_values(ctx, "relu", (z,), ref.relu(z), show={"z": z})


def yield_checks(options):
    yield Check("relu: values on wide inputs", check_relu_wide_inputs)
'''

RELU_HIDDEN_EXTRA = '''from graders.engine.checks import Check, Visibility
from reference.numpy import numpy_basics as ref


def check_relu_secret_course_probe(ctx):
    assert float(ctx.call("relu", 2.0)) == ref.relu(2.0)


def yield_checks(options):
    yield Check("relu: secret_course_probe", check_relu_secret_course_probe, visibility=Visibility.HIDDEN)
'''


@pytest.fixture(scope="module")
def numpy_basics_course(tmp_path_factory):
    """numpy_basics as a course overrides it, its pack (reference-only recording) and the two
    graders' verdicts on the reference and a few slips."""
    root = tmp_path_factory.mktemp("numpy_basics_course")
    course = root / "course"
    (course / "numpy_basics").mkdir(parents=True)
    (course / "course.toml").write_text(NUMPY_BASICS_TOML)
    (course / "numpy_basics" / "relu_extra.py").write_text(RELU_EXTRA)
    (course / "numpy_basics" / "relu_hidden_extra.py").write_text(RELU_HIDDEN_EXTRA)
    slips = importlib.import_module("graders.assignments.numpy_basics.slips")
    reference = catalog(None).get("numpy_basics").reference
    submissions = [reference]
    for mutant in slips.MUTANTS:
        if mutant.name in ("relu_np_max_instead_of_maximum", "softmax_over_wrong_axis",
                           "tanh_backward_one_minus_t_not_squared"):
            submissions.append(root / f"{mutant.name}.py")
            submissions[-1].write_text(mutant.apply(reference.read_text()))
    return packed_and_full(course, "numpy_basics", submissions, root)


def test_an_overridden_bundled_assignments_pack_gives_the_courses_verdicts(numpy_basics_course):
    summary, pack, pairs = numpy_basics_course
    assert len(pairs) == 4
    for full, packed in pairs:
        assert packed == full
    right = pairs[0][0]
    assert right["relu: values on random inputs"] == ("passed", 4, 4)
    assert right["relu: values on wide inputs"] == ("passed", 1, 1)
    assert "tanh: values on random inputs" not in right and "relu: secret_course_probe" not in right
    assert any(status == "failed" for full, _ in pairs[1:] for status, _, _ in full.values())
    assert pack.HIDDEN_CHECKS == 3


def test_the_checks_the_course_hides_are_in_no_file_of_the_overridden_pack(numpy_basics_course):
    summary, _, _ = numpy_basics_course
    files = texts_of(summary.folder)
    for secret in ("softmax: rows sum to 1 and ignore a constant shift",
                   "check_softmax_rows_sum_to_one_and_shift_invariant", "tanh: values on random inputs",
                   "secret_course_probe", "relu_hidden_extra"):
        assert not [path for path, text in files.items() if secret in text], secret
    carried = [path for path in files if path.endswith("relu_extra.py")]
    assert carried and "from ...checks import SHAPE" in files[carried[0]]
    assert "from ..._reference import numpy_basics as ref" in files[carried[0]]


def test_cutting_a_check_removes_its_statement_and_the_functions_only_it_used():
    source = '''def helper(x):
    return x


def only_hidden(ctx):
    return helper(1)


def shared(ctx):
    return helper(2)


def yield_checks(options):
    for name in ("a", "b"):
        yield Check(name, shared)
    if options:
        yield Check("secret one", only_hidden, points=2)
'''
    cut = without_checks({"checks.py": source}, {"secret one"})["checks.py"]
    assert "secret one" not in cut and "only_hidden" not in cut
    assert "def helper" in cut and "def shared" in cut and "        pass\n" in cut
    compile(cut, "checks.py", "exec")


def engine_modules_imported(folder) -> set[str]:
    """The modules of dlgrade's own packages (`graders`, `dlgrade`) the pack's code imports."""
    names = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
    return {n for n in names if n.split(".")[0] in ("graders", "dlgrade")}


def test_every_engine_module_a_course_pack_imports_is_in_the_engine_distribution(tiny_course, tmp_path):
    authoring = MORE_CHECKS.replace("from graders.engine.checks import Check\nfrom graders.engine.compare import "
                                    "assert_close", "from graders.authoring import Check, assert_close")
    (tiny_course / "hw_tiny" / "more_checks.py").write_text(authoring)
    summary, _, _ = packed_and_full(tiny_course, "hw_tiny", [], tmp_path)
    shipped = set(engine_files())
    imported = engine_modules_imported(summary.folder)
    assert "graders.authoring" in imported and "graders.course_overrides" in imported
    missing = [m for m in imported if not {f"{m.replace('.', '/')}.py", f"{m.replace('.', '/')}/__init__.py"} & shipped]
    assert missing == []
