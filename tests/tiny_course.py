"""A tiny course folder written by the tests that need one: one NumPy assignment, `scaling`
(`double(x) = 2 x`), with a reference, one visible value check and one hidden check, and
helpers to write submissions of it."""

from __future__ import annotations

from pathlib import Path

ASSIGNMENT_ID = "scaling"
VALUE_CHECK = "double: values"
HIDDEN_CHECK = "double: keeps the input unchanged"

MANIFEST = f'id = "{ASSIGNMENT_ID}"\ntitle = "Scaling arrays in NumPy"\npreload = ["numpy"]\n'

INIT = '''"""`scaling`: double an array."""

from pathlib import Path

from graders.engine.assignment import Assignment

from .checks import CONTRACT, yield_checks

ASSIGNMENT = Assignment(
    id="scaling",
    title="Scaling arrays in NumPy",
    contract=CONTRACT,
    checks=yield_checks,
    reference=Path(__file__).with_name("reference.py"),
    options={"size": 4},
)
'''

REFERENCE = '''import numpy as np


def double(x):
    """x: (N, D) -> 2 x, a new array."""
    ### BEGIN SOLUTION
    return 2.0 * np.asarray(x, dtype=np.float64)
    ### END SOLUTION
'''

CHECKS = '''"""The checks of `scaling`."""

from graders.engine.checks import Check, Visibility
from graders.engine.common import check_array_values, check_inputs_unchanged

from . import reference as ref

CONTRACT = ("double",)


def check_double_values(ctx):
    x = ctx.rng.normal(size=(3, int(ctx.options["size"])))
    check_array_values(ctx, "double", (x,), ref.double(x), show={"x": x})


def check_double_keeps_input(ctx):
    check_inputs_unchanged(ctx, "double", (ctx.rng.normal(size=(2, 3)),))


def yield_checks(options):
    yield Check("double: values", check_double_values, points=2.0)
    yield Check("double: keeps the input unchanged", check_double_keeps_input, points=1.0,
                visibility=Visibility.HIDDEN)
'''

SLIPS = '''MUTANTS = []
UNUSUAL = []
'''

CORRECT = "import numpy as np\n\n\ndef double(x):\n    return x + x\n"
WRONG = "import numpy as np\n\n\ndef double(x):\n    return 3.0 * x\n"
IN_PLACE = "import numpy as np\n\n\ndef double(x):\n    x *= 2.0\n    return x\n"


def write_tiny_course(root: Path, course_toml: str | None = None) -> Path:
    """Write the course into `root` (created); returns `root`."""
    folder = Path(root) / ASSIGNMENT_ID
    folder.mkdir(parents=True)
    for name, text in (("assignment.toml", MANIFEST), ("__init__.py", INIT), ("reference.py", REFERENCE),
                       ("checks.py", CHECKS), ("slips.py", SLIPS)):
        (folder / name).write_text(text, encoding="utf-8")
    if course_toml is not None:
        (Path(root) / "course.toml").write_text(course_toml, encoding="utf-8")
    return Path(root)


def write_submission(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
