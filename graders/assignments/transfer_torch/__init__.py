"""Grader of `transfer_torch`: freezing, a new head and fine-tuning on a pretrained digits CNN.

Checks: `checks.py` (`yield_checks`), one `check_<function>_<property>` per check in the
`checks_<function>.py` modules and `checks_trained.py`. Everything that needs the
submission's modules runs in the sandbox through `tasks.py` (which also defines the base's
architecture) and `tasks_probes.py`; the pretrained weights (`base_weights.npz`, regenerated
by `pretrain.py`) are read by the grader and sent to the sandbox as plain arrays. The
trained bounds are declared in `thresholds.py` (calibrated numbers in `thresholds.json`)
(`dlgrade calibrate transfer_torch` regenerates it). The checks, points, data and
calibration are described in docs/assignments/transfer_torch.md.
"""

from pathlib import Path

from graders.assignments.transfer_torch.checks import CONTRACT, yield_checks
from graders.engine.assignment import Assignment
from graders.sandbox.limits import Limits

ASSIGNMENT = Assignment(
    id="transfer_torch",
    title="Transfer learning in PyTorch: freeze a pretrained CNN, train a new head, fine-tune",
    contract=CONTRACT,
    checks=yield_checks,
    reference=Path(__file__).resolve().parents[3] / "reference" / "torch" / "transfer_torch.py",
    preload=("numpy", "torch"),
    tasks=(Path(__file__).with_name("tasks.py"), Path(__file__).with_name("tasks_probes.py")),
    # CPU for the sandbox's whole life: importing torch, the probes, and two transfer runs
    # (CPU budget 10 s each, about 3 s for the reference).
    limits=Limits(cpu_s=240, memory_mb=8192, startup_s=90),
)
