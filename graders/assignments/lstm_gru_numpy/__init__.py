"""Grader of `lstm_gru_numpy`: LSTM (sigmoid or hard-sigmoid gates) and GRU cells in NumPy.

Every check is a value or gradient check against the reference (see `checks.py`),
including the course's hard-sigmoid worked example; there is no trained threshold.
"""

from pathlib import Path

from graders.assignments.lstm_gru_numpy.checks import CONTRACT, yield_checks
from graders.engine.assignment import Assignment
from graders.sandbox.limits import Limits

ASSIGNMENT = Assignment(
    id="lstm_gru_numpy",
    title="LSTM (sigmoid or hard-sigmoid gates) and GRU cells in NumPy, with backward passes",
    contract=CONTRACT,
    checks=yield_checks,
    reference=Path(__file__).resolve().parents[3] / "reference" / "numpy" / "lstm_gru_numpy.py",
    limits=Limits(cpu_s=120, memory_mb=2048, startup_s=30),
)
