"""Grader of `autoencoders_torch`: dense, convolutional, denoising and sparse autoencoders in
PyTorch.

Checks: `checks.py` (`yield_checks`), one `check_<object>_<property>` per check in the
`checks_<object>.py` modules and `checks_trained.py`. Everything that needs the submission's
modules runs in the sandbox through `tasks.py` (training) and the shared `task_torch_apply`
(evaluation, in fresh sandboxes: `trained_runs.py`); the trained bounds are declared in
`thresholds.py` (calibrated numbers in `thresholds.json`), one per data set (`dlgrade
calibrate autoencoders_torch [--dataset mnist:PATH] --write` regenerates them). The data set
of the trained checks is the `data` option: "digits" (default) or "mnist:PATH". The checks,
points, data and calibration are described in docs/assignments/autoencoders_torch.md.
"""

from pathlib import Path

from graders.assignments.autoencoders_torch.checks import CONTRACT, yield_checks
from graders.engine.assignment import Assignment
from graders.engine.evaluation import TORCH_TASKS
from graders.sandbox.limits import Limits

ASSIGNMENT = Assignment(
    id="autoencoders_torch",
    title="Autoencoders in PyTorch: dense, convolutional, denoising and sparse",
    contract=CONTRACT,
    checks=yield_checks,
    reference=Path(__file__).resolve().parents[3] / "reference" / "torch" / "autoencoders_torch.py",
    preload=("numpy", "torch"),
    tasks=(TORCH_TASKS, Path(__file__).with_name("tasks.py")),
    # CPU for the sandbox's whole life: importing torch, the probes, and four trained runs
    # (CPU budgets 15 + 20 + 15 + 20 s; about 11 s CPU in all for the reference on the digits).
    limits=Limits(cpu_s=300, memory_mb=8192, startup_s=60),
    options={"data": "digits"},
)
