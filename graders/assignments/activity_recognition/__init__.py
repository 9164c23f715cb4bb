"""Grader of `activity_recognition`: RNN, LSTM and GRU classifiers of smartwatch motion
(BasicMotions, UEA archive) in NumPy, trained with momentum, compared by confusion matrices.

Checks: `checks.py` yields them (one `check_<function>_<property>` per check, in
`checks_model.py`, `checks_gradients.py`, `checks_training.py`, `checks_confusion.py` and
`checks_trained.py`; shared inputs and known slips in `problems.py`); the calibrated
training runs happen in the sandbox through `tasks.py`; the trained-model bounds are the
tables in `thresholds.py` (`dlgrade calibrate activity_recognition`
regenerates them, `--data ts:PREFIX` for another data set of the archive). The checks,
points, data and calibration are described in docs/assignments/activity_recognition.md.
"""

from pathlib import Path

from graders.assignments.activity_recognition.checks import CONTRACT, yield_checks
from graders.engine.assignment import Assignment
from graders.sandbox.limits import Limits

ASSIGNMENT = Assignment(
    id="activity_recognition",
    title="Activity recognition in NumPy: RNN, LSTM and GRU classifiers of smartwatch motion, trained with momentum",
    contract=CONTRACT,
    checks=yield_checks,
    reference=Path(__file__).resolve().parents[3] / "reference" / "numpy" / "activity_recognition.py",
    tasks=(Path(__file__).with_name("tasks.py"),),
    # CPU for the sandbox's whole life: three calibrated runs (budget 20 s each) and the small calls.
    limits=Limits(cpu_s=300, memory_mb=2048, startup_s=30),
    # "basic_motions" (bundled) or "ts:PATH_PREFIX" (PATH_PREFIX_TRAIN.ts / _TEST.ts of the UEA archive)
    options={"data": "basic_motions"},
)
