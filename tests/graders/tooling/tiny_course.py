"""A tiny course assignment, written into a test's folder: a package with its reference
inside it (as a course folder's assignment has), for the student-pack tests.

`double` is compared with the reference, once on the submission's own output; `total` is compared with the reference called on
a set (not plain data: its check cannot be recorded); `scale_` changes its argument in
place. `hidden=True` adds a hidden check. `slip_code="checks"` or `"recorded"` adds a check
that names a slip of `double` with a copy of its solution, in checks.py or in a recorded
module (`reference_slips.py`). `import_inside=True` imports the reference inside each check
function instead of at the top of checks.py (so importing the assignment does not import it).
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

REFERENCE = '''import numpy as np


def double(x):
    ### BEGIN SOLUTION
    return np.multiply(x, 2.0) + np.zeros_like(x) * np.sum(x)
    ### END SOLUTION


def total(values):
    ### BEGIN SOLUTION
    return float(sum(sorted(values, key=float)))
    ### END SOLUTION


def scale_(x, factor):
    ### BEGIN SOLUTION
    np.multiply(x, factor, out=x)
    return None
    ### END SOLUTION
'''

CHECKS = '''import numpy as np

from graders.engine.checks import Check, Kind, Visibility
from graders.engine.common import check_array_values
from graders.engine.compare import assert_close, assert_scalar_close

from . import reference as ref

CONTRACT = ("double", "total", "scale_")


def check_double(ctx):
    x = ctx.rng.normal(size=(3, 2))
    check_array_values(ctx, "double", (x,), ref.double(x))


def check_total(ctx):
    assert_scalar_close(ctx.call("total", [1.0, 2.5]), ref.total({1.0, 2.5}), "total(values)")


def check_scale(ctx):
    x = ctx.rng.normal(size=4)
    mine = x.copy()
    ref.scale_(mine, 3.0)
    _, after, _ = ctx.call_echo("scale_", x.copy(), 3.0)
    assert_close(after[0], mine, "scale_(x, 3.0), x afterwards")


def check_double_twice(ctx):
    # the reference asked about the submission's own output: unrecorded for a new slip
    x = ctx.rng.normal(size=3)
    once = np.asarray(ctx.call("double", x), dtype=np.float64)
    assert_close(ref.double(once), ref.double(ref.double(x)), "double(double(x))")


def yield_checks(options):
    yield Check("double: values", check_double)
    yield Check("double: twice", check_double_twice)
    yield Check("total: value", check_total)
    yield Check("scale_: in place", check_scale)
'''

SLIP_CODE = '''

def double_plus_one(x):
    """double with a known slip: one too many (a copy of the solution)."""
    return np.multiply(x, 2.0) + np.zeros_like(x) * np.sum(x) + 1.0
'''

SLIP_CHECK = '''

def check_double_named(ctx):
    x = ctx.rng.normal(size=5)
    got = np.asarray(ctx.call("double", x), dtype=np.float64)
    assert_close(got, ref.double(x), "double(x)", known={"one too many": double_plus_one(x)})
'''

SLIP_YIELD = '''    yield Check("double: slips named", check_double_named)
'''

HIDDEN = '''    yield Check("double: secret_corner_case_of_double", check_double, visibility=Visibility.HIDDEN)
'''

INIT = '''from pathlib import Path

from graders.engine.assignment import Assignment

from .checks import CONTRACT, yield_checks

ASSIGNMENT = Assignment(id="hw_tiny", title="A tiny assignment", contract=CONTRACT, checks=yield_checks,
                        reference=Path(__file__).with_name("reference.py"))
'''


def write_tiny_course(root: Path, package: str, *, hidden: bool = False, slip_code: str | None = None,
                      import_inside: bool = False):
    """Write the package `package` under `root` and return its ASSIGNMENT, imported (the caller
    has put `root` on sys.path, e.g. with monkeypatch.syspath_prepend)."""
    folder = root / package / "hw_tiny"
    folder.mkdir(parents=True)
    (root / package / "__init__.py").write_text("", encoding="utf-8")
    (folder / "__init__.py").write_text(INIT, encoding="utf-8")
    (folder / "reference.py").write_text(REFERENCE, encoding="utf-8")
    checks = CHECKS
    if slip_code == "recorded":
        (folder / "reference_slips.py").write_text("import numpy as np\n" + SLIP_CODE, encoding="utf-8")
        checks = checks.replace("from . import reference as ref\n",
                                "from . import reference as ref\nfrom .reference_slips import double_plus_one\n")
    elif slip_code == "checks":
        checks += SLIP_CODE
    if slip_code:
        checks = checks.replace("\n\ndef yield_checks", SLIP_CHECK + "\n\ndef yield_checks") + SLIP_YIELD
    if import_inside:
        checks = re.sub(r"(def check_\w+\(ctx\):\n)", r"\1    from . import reference as ref\n",
                        checks.replace("from . import reference as ref\n", ""))
    (folder / "checks.py").write_text(checks + (HIDDEN if hidden else ""), encoding="utf-8")
    return importlib.import_module(f"{package}.hw_tiny").ASSIGNMENT


MANIFEST = 'id = "hw_tiny"\ntitle = "A tiny assignment"\npreload = ["numpy"]\n'


def write_tiny_course_folder(course: Path, course_toml: str = "", modules: dict | None = None) -> Path:
    """The tiny assignment as a course folder's own (`course/hw_tiny/`, with its manifest), with
    `course_toml` as its course.toml and `modules` ({relative path: source}) written under
    `course`; the folder, for `graders.courses.catalog(course)`."""
    folder = course / "hw_tiny"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(INIT, encoding="utf-8")
    (folder / "assignment.toml").write_text(MANIFEST, encoding="utf-8")
    (folder / "reference.py").write_text(REFERENCE, encoding="utf-8")
    (folder / "checks.py").write_text(CHECKS, encoding="utf-8")
    if course_toml:
        (course / "course.toml").write_text(course_toml, encoding="utf-8")
    for relative, text in (modules or {}).items():
        (course / relative).parent.mkdir(parents=True, exist_ok=True)
        (course / relative).write_text(text, encoding="utf-8")
    return course
