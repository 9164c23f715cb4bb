"""Grader of `sparse_autoencoder`: sparse autoencoder with tied weights on natural image patches.

`checks.py` holds the checks; `thresholds.py` holds the calibrated bound of the trained
check (held-out cost after the student's `train`), `dlgrade calibrate sparse_autoencoder`
writes its numbers (thresholds.json) from the reference solution.
"""

from pathlib import Path

from graders.assignments.sparse_autoencoder.checks import CONTRACT, yield_checks
from graders.engine.assignment import Assignment
from graders.sandbox.limits import Limits

ASSIGNMENT = Assignment(
    id="sparse_autoencoder",
    title="Sparse autoencoder with tied weights on natural image patches",
    contract=CONTRACT,
    checks=yield_checks,
    reference=Path(__file__).resolve().parents[3] / "reference" / "numpy" / "sparse_autoencoder.py",
    # a correct but slow (per-sample) cost trains in ~40 s CPU; the train check allows 240 s wall
    limits=Limits(cpu_s=300, memory_mb=2048, startup_s=30),
)
