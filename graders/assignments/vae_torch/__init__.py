"""Grader of `vae_torch`: a variational autoencoder in PyTorch (reparameterisation, KL, ELBO).

Checks: `checks.py` (`yield_checks`), one `check_<function>_<property>` per check in the
`checks_*.py` modules. Everything that needs the submission's objects runs in the sandbox
through `tasks.py` (training) and the shared `task_torch_apply` (evaluation in fresh
sandboxes, `trained_runs.py`); the trained bound is declared in `thresholds.py` (calibrated
numbers in `thresholds.json`) (`dlgrade calibrate vae_torch` regenerates it, per data set).
The checks, points, data and calibration are described in docs/assignments/vae_torch.md.
"""

from pathlib import Path

from graders.assignments.vae_torch.checks import CONTRACT, yield_checks
from graders.engine.assignment import Assignment
from graders.engine.evaluation import TORCH_TASKS
from graders.sandbox.limits import Limits

ASSIGNMENT = Assignment(
    id="vae_torch",
    title="A variational autoencoder in PyTorch: reparameterisation, KL divergence, the ELBO, a 2-D latent space",
    contract=CONTRACT,
    checks=yield_checks,
    reference=Path(__file__).resolve().parents[3] / "reference" / "torch" / "vae_torch.py",
    preload=("numpy", "torch"),
    tasks=(TORCH_TASKS, Path(__file__).resolve().with_name("tasks.py")),
    # CPU for the sandbox's whole life: importing torch, the probes and the calibrated run
    # (CPU budget 15 s; about 5 s for the reference on the digits).
    limits=Limits(cpu_s=240, memory_mb=8192, startup_s=90),
    options={"data": "digits"},
)
