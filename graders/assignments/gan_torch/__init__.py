"""Grader of `gan_torch`: a GAN in PyTorch (logit losses, the alternating update, mode coverage).

Checks: `checks.py` (`yield_checks`), one `check_<function>_<property>` per check in the
`checks_*.py` modules. Everything that needs the submission's objects runs in the sandbox
through `tasks.py` (and the shared `graders/engine/torch_tasks.py`, which generates the
trained Generator's samples in a fresh sandbox); the generated samples are labelled in the grader's process by the
project's digit classifier (`digit_classifier.py`, weights in
`digit_classifier_<dataset>.npz`); the trained bounds are the calibrated table in
`thresholds.py` (`dlgrade calibrate gan_torch` regenerates it, per data
set). The checks, points, data and calibration are described in
docs/assignments/gan_torch.md.
"""

from pathlib import Path

from graders.assignments.gan_torch.checks import CONTRACT, yield_checks
from graders.engine.assignment import Assignment
from graders.engine.evaluation import TORCH_TASKS
from graders.sandbox.limits import Limits

ASSIGNMENT = Assignment(
    id="gan_torch",
    title="A generative adversarial network in PyTorch: logit losses, the alternating update, mode coverage",
    contract=CONTRACT,
    checks=yield_checks,
    reference=Path(__file__).resolve().parents[3] / "reference" / "torch" / "gan_torch.py",
    preload=("numpy", "torch"),
    # the shared task_torch_apply generates the trained check's samples in a fresh sandbox
    tasks=(TORCH_TASKS.resolve(), Path(__file__).resolve().with_name("tasks.py")),
    # CPU for the sandbox's whole life: importing torch, the probes and the calibrated run
    # (CPU budget 25 s; 11-16 s for the reference on the digits).
    limits=Limits(cpu_s=240, memory_mb=8192, startup_s=90),
    options={"data": "digits"},
)
