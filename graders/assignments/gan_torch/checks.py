"""The checks of `gan_torch`, one `check_<function>_<property>` per check, and the generator.

Everything that touches the submission's objects runs in the sandbox through the tasks of
`tasks.py` (called through `graders/engine/task_calls.py`); the expected values are computed
by the grader in NumPy from the contract's formulas:

- `Generator` / `Discriminator`: checks_networks.py;
- `discriminator_loss`, `generator_loss`: checks_losses.py;
- `train_step`: checks_train_step.py;
- the trained check: checks_trained.py.
"""

from __future__ import annotations

from graders.assignments.gan_torch import thresholds as th
from graders.assignments.gan_torch.checks_losses import (
    check_discriminator_loss_closed_form,
    check_discriminator_loss_extreme,
    check_generator_loss,
)
from graders.assignments.gan_torch.checks_networks import check_models
from graders.assignments.gan_torch.checks_train_step import (
    check_train_step_d_step_keeps_g,
    check_train_step_g_step_keeps_d,
    check_train_step_matches_contract,
    check_train_step_reaches_g,
    check_train_step_returns_losses,
)
from graders.assignments.gan_torch.checks_trained import check_gan_trained
from graders.engine.checks import Check, Kind

CONTRACT = ("Generator", "Discriminator", "discriminator_loss", "generator_loss", "train_step")
TRAINED_CHECK = "GAN: samples cover at least k digit classes confidently (threshold)"
# wall-time limit = 5 x the CPU budget: on the suite's shared two-core machine (load 6-12)
# 3 x was not always enough for the GAN's reference run
CPU_TO_WALL = 5.0
TRAIN_TIMEOUT_S = CPU_TO_WALL * max(c.cpu_budget_s for c in th.TRAINED_CHECKS)


# ------------------------------------------------------------------ the generator


def yield_checks(options: dict):
    """Every check of gan_torch, in the order of the contract."""
    models = ("Generator", "Discriminator")
    losses = ("discriminator_loss", "generator_loss")
    yield Check("Generator/Discriminator: shapes, samples in [0,1], logits (N,)", check_models, needs=models)
    yield Check("discriminator_loss: closed form on given logits", check_discriminator_loss_closed_form, points=2)
    yield Check("discriminator_loss: finite at |logit| = 100", check_discriminator_loss_extreme)
    yield Check("generator_loss: non-saturating (BCE-with-logits(fake, 1)), closed form, finite at |logit| = 100",
                check_generator_loss, points=2)
    step_needs = models + losses + ("train_step",)
    yield Check("train_step: the discriminator step leaves the generator unchanged", check_train_step_d_step_keeps_g,
                kind=Kind.PROPERTY, needs=step_needs)
    yield Check("train_step: the generator step leaves the discriminator unchanged", check_train_step_g_step_keeps_d,
                kind=Kind.PROPERTY, needs=step_needs)
    yield Check("train_step: gradients zeroed every step (two steps match the contract)",
                check_train_step_matches_contract, points=2, needs=step_needs)
    yield Check("train_step: the generator step reaches the generator", check_train_step_reaches_g,
                kind=Kind.PROPERTY, needs=step_needs)
    yield Check("train_step: returns (d_loss, g_loss)", check_train_step_returns_losses, needs=step_needs)
    yield Check(TRAINED_CHECK, check_gan_trained, points=4, kind=Kind.THRESHOLD, needs=step_needs,
                timeout_s=TRAIN_TIMEOUT_S, threshold=th.declared())
