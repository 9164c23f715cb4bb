"""Grader of `language_model_numpy`: next word from three context words (shared embedding,
sigmoid hidden layer, softmax), trained with mini-batch SGD and classical momentum.

Checks: `checks.py` yields them (one `check_<function>_<property>` per check, in
`checks_model.py`, `checks_gradients.py`, `checks_dataset.py`, `checks_training.py` and
`checks_trained.py`; shared inputs in `problems.py`); the calibrated training run happens
in the sandbox through `tasks.py`; the trained-model bounds are the table in
`thresholds.py` (`dlgrade calibrate language_model_numpy`
regenerates it). The checks, points, data and calibration are described in
docs/assignments/language_model_numpy.md.
"""

from pathlib import Path

from graders.assignments.language_model_numpy.checks import CONTRACT, yield_checks
from graders.engine.assignment import Assignment
from graders.sandbox.limits import Limits

ASSIGNMENT = Assignment(
    id="language_model_numpy",
    title="A neural language model in NumPy: the next word from three context words, trained with momentum",
    contract=CONTRACT,
    checks=yield_checks,
    reference=Path(__file__).resolve().parents[3] / "reference" / "numpy" / "language_model_numpy.py",
    tasks=(Path(__file__).with_name("tasks.py"),),
    # CPU for the sandbox's whole life: the calibrated run (budget 20 s), the small runs, and
    # the two other sizes when options["all_configs"] asks for them (about 20 s more).
    limits=Limits(cpu_s=300, memory_mb=2048, startup_s=30),
    options={"all_configs": False},
)
