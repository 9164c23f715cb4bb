"""Calibrated bounds of the trained check of `vae_torch`.

The check is declared below (`VAE_TEST_LOSS`: task, metric, margin, budget, settings and
data subset of each data set); its calibrated numbers are data, in thresholds.json beside
this file, written by `dlgrade calibrate vae_torch --write` (`--dataset mnist:PATH` adds or
refreshes the "mnist" entry); do not edit them by hand.

How the check uses it: `data = dlgrade.data.mnist.load_dataset(spec,
**check.data[dataset])`, then `trained_runs.measure("train_vae", check.settings[dataset],
data, course secret, ...)`: the training and test images pooled (pixels in a secret order),
a secret subset of the test split's size held out, `tasks.task_train_vae` trains on the rest
at a secret seed and returns the state_dict, encode and decode run in separate fresh
sandboxes, the grader computes the loss;
`ctx.check.threshold.for_dataset(dataset).passes(result["test_excess"])`.

- vae_test_loss: held-out negative ELBO per image (BCE summed over pixels + KL, in nats),
  computed by the grader with the contract's formula from the student's encode and decode
  (z = mu + exp(logvar / 2) * eps, eps drawn by the grader from the course secret), minus
  the entropy floor of the grey-level held-out images (the BCE of x_hat = x; about 13.7
  nats on digits), so the margin is relative to what a model can improve. For scale on
  digits: the reference's negative ELBO is about 24.9 (excess about 11.2); a model that
  ignores its input (per-pixel training means, KL = 0, what a VAE trained with the BCE
  averaged over pixels collapses to) scores 27.0 (excess 13.4).

Calibration (`Threshold.seeds` are run numbers): runs 0-4 are five course-secret draws of
the seed, the held-out rows and eps with the reference; run 5 is draw 0 with every input
perturbed by 1e-12 relative (absorbed by the float32 the model computes in); run 6 is draw 1
with the correct-but-unusual variant of calibrate.VARIANT_EDITS (sigma as sqrt(exp(logvar)), the
KL's sum re-associated term by term, the decoder's sigmoid by hand). The update order is
the task's own (Adam in the grader's task code), so it does not vary. The bound is the
worst run times (1 + margin).
"""

from __future__ import annotations

from pathlib import Path

from graders.engine.trained_checks import STANDARD_RUNS, TrainedCheck, with_calibration

VAE_TEST_LOSS = TrainedCheck(
    assignment="vae_torch",
    key="vae_test_loss",
    task="train_vae",
    metric="held-out negative ELBO above the entropy floor (nats per image)",
    metric_key="test_excess",
    higher_is_better=False,
    margin=0.10,
    cpu_budget_s=15.0,
    # Subsets per data set (first n of each split), keeping MNIST within the CPU budget.
    data={"digits": {"n_train": None, "n_test": None}, "mnist": {"n_train": 6000, "n_test": 1000}},
    settings={
        "digits": {"n_latent": 2, "epochs": 60, "lr": 2e-3, "batch_size": 64},
        # MNIST: not calibrated here (no MNIST files on the project's machine); timed at ~5 s
        # CPU on MNIST-sized stand-in data. Check the first --dataset mnist:PATH calibration.
        "mnist": {"n_latent": 2, "epochs": 10, "lr": 1e-3, "batch_size": 64},
    },
    model_size=("the template's sizes: one hidden layer of 128 units in the encoder and one in the decoder, "
                "n_latent = 2 (about 17 k parameters on the 8x8 digits); wider or deeper networks need "
                "proportionally more CPU"),
    runs=STANDARD_RUNS,
)

TRAINED_CHECKS = (VAE_TEST_LOSS,)


def declared() -> dict[str, TrainedCheck]:
    """{key: declaration} with the calibrated numbers of thresholds.json."""
    return with_calibration(Path(__file__).parent, TRAINED_CHECKS)
