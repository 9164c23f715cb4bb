"""`numpy_basics`: activations and losses, each with its backward pass."""

from pathlib import Path

from graders.assignments.numpy_basics.checks import CONTRACT, yield_checks
from graders.engine.assignment import Assignment
from graders.sandbox.limits import Limits

ASSIGNMENT = Assignment(
    id="numpy_basics",
    title="Activations and losses in NumPy, with backward passes",
    contract=CONTRACT,
    checks=yield_checks,
    reference=Path(__file__).resolve().parents[3] / "reference" / "numpy" / "numpy_basics.py",
    limits=Limits(cpu_s=120, memory_mb=2048, startup_s=30),
)
