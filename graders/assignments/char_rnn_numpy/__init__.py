"""Grader of `char_rnn_numpy`: a character-level vanilla RNN (min-char-rnn) trained with
Adagrad and gradient clipping, which must memorise the course's Faust excerpt.

Checks: `checks.py` (`yield_checks`; init_params and clip_grads), `checks_loss.py`
(loss_and_grads), `checks_sample.py` (sample), `checks_train.py` (train); shared problems
and validation in `problems.py`. The training runs happen in the sandbox through `tasks.py`;
the trained-model bound is declared in `thresholds.py` (calibrated numbers in `thresholds.json`)
(`dlgrade calibrate char_rnn_numpy` regenerates it). The checks,
points, data and calibration are described in docs/assignments/char_rnn_numpy.md.
"""

from pathlib import Path

from graders.assignments.char_rnn_numpy.checks import CONTRACT, yield_checks
from graders.engine.assignment import Assignment
from graders.sandbox.limits import Limits

ASSIGNMENT = Assignment(
    id="char_rnn_numpy",
    title="A character-level vanilla RNN in NumPy (min-char-rnn: BPTT, clipping, sampling, Adagrad)",
    contract=CONTRACT,
    checks=yield_checks,
    reference=Path(__file__).resolve().parents[3] / "reference" / "numpy" / "char_rnn_numpy.py",
    tasks=(Path(__file__).with_name("tasks.py"),),
    # CPU for the sandbox's whole life: the calibrated run (budget 30 s) and everything else.
    limits=Limits(cpu_s=240, memory_mb=2048, startup_s=30),
)
