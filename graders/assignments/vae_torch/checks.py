"""The checks of `vae_torch`, one `check_<function>_<property>` per check, and the generator.

Everything that touches the submission's objects runs in the sandbox through the tasks of
`tasks.py` (float64 tensors in, plain numbers and arrays out; called through
`graders/engine/task_calls.py`); the expected values are computed by the grader, in NumPy, from the
contract's formulas (`problems.py`: the value checks' inputs and the closed-form KL):

- `VAE` and `VAE.reparameterize`: checks_vae.py;
- `kl_divergence`: checks_kl.py;
- `vae_loss`: checks_vae_loss.py;
- the trained check: checks_trained.py.
"""

from __future__ import annotations

from graders.assignments.vae_torch import thresholds as th
from graders.assignments.vae_torch.checks_kl import check_kl_closed_form, check_kl_monte_carlo
from graders.assignments.vae_torch.checks_trained import check_vae_trained
from graders.assignments.vae_torch.checks_vae import (
    check_reparameterize_gradients,
    check_reparameterize_value,
    check_vae_forward,
    check_vae_shapes,
)
from graders.assignments.vae_torch.checks_vae_loss import check_vae_loss
from graders.engine.checks import Check, Kind

CONTRACT = ("VAE", "kl_divergence", "vae_loss")
TRAINED_CHECK = "VAE: held-out loss (threshold)"
# wall-time limit = 5 x the CPU budget: on the suite's shared two-core machine (load 6-12)
# 3 x was not always enough for the GAN's reference run
CPU_TO_WALL = 5.0
TRAIN_TIMEOUT_S = CPU_TO_WALL * th.VAE_TEST_LOSS.cpu_budget_s


# ------------------------------------------------------------------ the generator


def yield_checks(options: dict):
    """Every check of vae_torch, in the order of the contract."""
    yield Check("VAE: encode/decode shapes, probabilities in [0,1]", check_vae_shapes)
    yield Check("VAE: forward returns encode's (mu, logvar) and decodes a sampled z", check_vae_forward,
                kind=Kind.PROPERTY)
    yield Check("reparameterize: equals mu + exp(0.5 logvar) * eps", check_reparameterize_value, points=2,
                needs=("VAE",))
    yield Check("reparameterize: gradients reach mu and logvar", check_reparameterize_gradients, points=2,
                kind=Kind.GRADIENT, needs=("VAE",))
    yield Check("kl_divergence: matches the closed form", check_kl_closed_form, points=2)
    yield Check("kl_divergence: matches a Monte Carlo estimate", check_kl_monte_carlo, kind=Kind.PROPERTY)
    yield Check("vae_loss: mean over the batch of (BCE summed over features + KL)", check_vae_loss, points=2)
    yield Check(TRAINED_CHECK, check_vae_trained, points=4, kind=Kind.THRESHOLD, needs=("VAE", "vae_loss"),
                timeout_s=TRAIN_TIMEOUT_S, threshold=th.declared()[th.VAE_TEST_LOSS.key])
