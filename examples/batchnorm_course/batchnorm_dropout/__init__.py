"""`batchnorm_dropout`: batch normalisation and inverted dropout, forward and backward."""

from pathlib import Path

from graders.authoring import Assignment, Limits

from .checks import CONTRACT, yield_checks

ASSIGNMENT = Assignment(
    id="batchnorm_dropout",
    title="Batch normalisation and inverted dropout in NumPy, with backward passes",
    contract=CONTRACT,
    checks=yield_checks,
    reference=Path(__file__).resolve().parent / "reference.py",
    limits=Limits(cpu_s=120, memory_mb=2048, startup_s=30),
)
