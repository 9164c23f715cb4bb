"""Grader of `autoencoder_numpy`: a dense ReLU/sigmoid autoencoder trained with Adagrad.

Checks: `checks.py` (one `check_<function>_<property>` per check, `yield_checks`); the
training runs happen in the sandbox through `tasks.py` (a recording lr_schedule around the
submission's `train`); the trained-model bound is declared in `thresholds.py` (calibrated
numbers in `thresholds.json`) (`dlgrade calibrate autoencoder_numpy` regenerates it). The
checks, points, data and calibration are described in docs/assignments/autoencoder_numpy.md.
"""

from pathlib import Path

from graders.assignments.autoencoder_numpy.checks import CONTRACT, yield_checks
from graders.engine.assignment import Assignment
from graders.sandbox.limits import Limits

ASSIGNMENT = Assignment(
    id="autoencoder_numpy",
    title="A dense autoencoder from scratch in NumPy (backward pass, Adagrad, training on the digits)",
    contract=CONTRACT,
    checks=yield_checks,
    reference=Path(__file__).resolve().parents[3] / "reference" / "numpy" / "autoencoder_numpy.py",
    tasks=(Path(__file__).with_name("tasks.py"),),
    # CPU for the sandbox's whole life: the calibrated run (budget 20 s) and the small runs.
    limits=Limits(cpu_s=240, memory_mb=2048, startup_s=30),
)
