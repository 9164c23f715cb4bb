"""The checks of `transfer_torch`, one `check_<function>_<property>` per check, and the generator.

Everything that touches the submission's modules runs in the sandbox through the tasks
of `tasks.py` and `tasks_probes.py`; the grader sends plain data (the pretrained weights as
a dict of arrays, digit images: `data.py`) and compares the plain numbers that come back.
Each function is checked with trusted code around it, so a slip in one function fails that
function's checks:

- `freeze`: checks_freeze.py;
- `replace_head`: checks_replace_head.py;
- `unfreeze_from`: checks_unfreeze_from.py;
- `count_params`: checks_count_params.py;
- the trained checks: checks_trained.py.
"""

from __future__ import annotations

from functools import partial

from graders.assignments.transfer_torch.checks_count_params import check_count_params
from graders.assignments.transfer_torch.checks_freeze import (
    check_freeze_batchnorm_inference,
    check_freeze_no_gradients,
)
from graders.assignments.transfer_torch.checks_replace_head import (
    check_replace_head_average_pool_linear,
    check_replace_head_one_output_for_two_classes,
    check_replace_head_uses_the_base,
)
from graders.assignments.transfer_torch.checks_trained import check_trained
from graders.assignments.transfer_torch.checks_unfreeze_from import (
    check_unfreeze_from_frozen_batchnorm,
    check_unfreeze_from_later_layers,
)
from graders.assignments.transfer_torch.thresholds import CHECK_FINE, CHECK_HEAD, CLASSES, declared
from graders.engine.checks import Check, Kind

CONTRACT = ("freeze", "unfreeze_from", "count_params", "replace_head")
TRAIN_TIMEOUT_S = 90.0     # wall time of one transfer run (CPU budget 10 s) with slack


# ------------------------------------------------------------------ the generator


def yield_checks(options: dict):
    """Every check of transfer_torch, in the order of the contract."""
    yield Check("freeze: no gradients and unchanged by an optimizer step", check_freeze_no_gradients, points=2,
                kind=Kind.PROPERTY)
    yield Check("freeze: BatchNorm stays in inference mode", check_freeze_batchnorm_inference, points=2,
                kind=Kind.PROPERTY)
    yield Check("replace_head: global average pool + linear (n_features + 1 trainable parameters for 2 classes)",
                check_replace_head_average_pool_linear, points=2, kind=Kind.VALUE)
    yield Check("replace_head: uses the given base, not a copy", check_replace_head_uses_the_base, points=0.5,
                kind=Kind.PROPERTY)
    yield Check("replace_head: one output for two classes", check_replace_head_one_output_for_two_classes,
                kind=Kind.VALUE)
    yield Check("unfreeze_from: exactly the later layers trainable", check_unfreeze_from_later_layers, points=2,
                kind=Kind.PROPERTY, needs=("freeze", "unfreeze_from"), timeout_s=40.0)
    yield Check("unfreeze_from: the earlier BatchNorm layers stay in inference mode",
                check_unfreeze_from_frozen_batchnorm, kind=Kind.PROPERTY, needs=("freeze", "unfreeze_from"))
    yield Check("count_params: every parameter, as scalars", partial(check_count_params, cases=(("plain", 0),)),
                points=0.5)
    yield Check("count_params: trainable_only counts only trainable parameters",
                partial(check_count_params, cases=(("classifier", 1), ("plain", 1))), points=0.5)
    yield Check("count_params: shared weights counted once",
                partial(check_count_params, cases=(("shared", 0),)), points=0.5)
    yield Check("count_params: buffers not counted",
                partial(check_count_params, cases=(("base", 0), ("classifier", 0))), points=0.5)
    bounds = declared()
    for key in CLASSES:
        yield Check(CHECK_HEAD[key], partial(check_trained, key=key, fine=False), points=2, kind=Kind.THRESHOLD,
                    needs=("freeze", "replace_head"), timeout_s=TRAIN_TIMEOUT_S, threshold=bounds[CHECK_HEAD[key]])
        yield Check(CHECK_FINE[key], partial(check_trained, key=key, fine=True), points=2, kind=Kind.THRESHOLD,
                    needs=("freeze", "unfreeze_from", "replace_head"), timeout_s=TRAIN_TIMEOUT_S,
                    threshold=bounds[CHECK_FINE[key]])
