"""Grader of `sequences_torch`: a character LSTM and a recurrent shampoo-sales forecaster.

Checks: `checks.py` (`yield_checks`), one `check_<function>_<property>` per check in
`checks_char_lstm.py`, `checks_series.py` and `checks_forecaster.py`; the code that must run
with the submission's torch modules (probes, the training runs, the one-step evaluation
calls) is in `tasks.py`, loaded by the sandbox; the grader's side of the trained checks
(secret splits, the causal evaluation in a fresh sandbox, every loss and RMSE) is
`causal.py`; the trained-model bounds are declared in `thresholds.py` (calibrated numbers in
`thresholds.json`) (`dlgrade calibrate sequences_torch` regenerates it). The checks, points,
data and calibration are described in docs/assignments/sequences_torch.md.

Option: `shampoo_seeds` (default 1): the Forecaster RMSE checks also train that many seeds
(all from the course secret) and report the mean +/- std (the course's table); the grade uses
the first only.
"""

from pathlib import Path

from graders.assignments.sequences_torch.checks import CONTRACT, yield_checks
from graders.engine.assignment import Assignment
from graders.sandbox.limits import Limits

ASSIGNMENT = Assignment(
    id="sequences_torch",
    title="Sequences in PyTorch: a character LSTM and a recurrent shampoo-sales forecaster",
    contract=CONTRACT,
    checks=yield_checks,
    reference=Path(__file__).resolve().parents[3] / "reference" / "torch" / "sequences_torch.py",
    preload=("numpy", "torch"),
    tasks=(Path(__file__).with_name("tasks.py"),),
    # CPU for the sandbox's whole life: importing torch, the CharLSTM run (budget 20 s), three
    # forecasters (5 s each) and the probes; torch needs a large address space.
    limits=Limits(cpu_s=240, memory_mb=8192, startup_s=60),
)
