"""Calibrate the trained-model bounds of `gan_torch` on the reference solution.

    dlgrade calibrate gan_torch                               # digits, print the table
    dlgrade calibrate gan_torch --write                       # write thresholds.json
    dlgrade calibrate gan_torch --dataset mnist:PATH --write  # (or python -m graders.assignments.gan_torch.calibrate)

Runs what a grade runs, in this process, with the declared settings (`thresholds.py`): over
course-secret draws (>= 5; `--runs` sets how many, default 5) and the harmless VARIATIONS, the training
task `tasks.task_train_gan` on the draw's training subset, the samples generated from the
trained state with the draw's z (the shared `task_torch_apply`), labelled by the shipped
digit classifier (`digit_classifier.mode_coverage`) and compared with the training images
(`memorisation.copy_ratio`); each bound comes from `graders.engine.thresholds.calibrate`
(the worst value of each draw over its variations, minus the margin).
"""

from __future__ import annotations

import sys

import torch

from graders.tooling.calibrate_assignment import main as calibrate_main
from graders.tooling.calibration import (calibrate_declared, calibration_secret, load_calibration_data,
                                         load_reference, perturbed, timed, unusual_variant, worst_per_draw)

ASSIGNMENT = "gan_torch"

# (what, the unusual submission of slips.py or None for the reference, perturb the images); the
# declarations' `runs` say the same in words.
VARIATIONS = (("the reference", None, False),
              ("training images perturbed 1e-12 relative", None, True),
              ("train_step regenerating the fakes for the generator step (another correct update order)",
               "train_step_regenerates_fake_for_g", False))


def graded_metrics(module, data: dict, secret, classifier, settings: dict, coverage: dict,
                   perturb: bool = False) -> tuple[dict, float]:
    """(the grader's metrics of one graded run under `secret`, the training's CPU seconds)."""
    from . import tasks, thresholds
    from .checks_trained import latent, secret_subset
    from .digit_classifier import mode_coverage
    from .memorisation import copy_ratio
    from graders.engine import torch_tasks

    x_train, unseen, seed = secret_subset(secret, data)
    train = {k: v for k, v in settings.items() if k in thresholds.TRAIN_KEYS}
    r, cpu = timed(tasks.task_train_gan, module, x_train=perturbed(x_train) if perturb else x_train, seed=seed,
                   **train)
    n, n_out = int(settings["n_samples"]), x_train.shape[1]
    (samples,) = torch_tasks.task_torch_apply(module, "Generator", r["state"], "forward",
                                             [latent(secret, n, int(settings["n_latent"]))],
                                             args=(int(settings["n_latent"]), n_out))
    out = dict(mode_coverage(samples, classifier, **coverage))
    out["copy_ratio"] = copy_ratio(samples, x_train, unseen)["ratio"]
    return out, cpu


def calibrate(checks, dataset_spec: str | None = None, n_draws: int | None = None, verbose: bool = True):
    """{check key: Threshold} of the declared `checks` on `dataset_spec` ("digits" by default; they
    share one run a draw and variation: the same settings)."""
    from .digit_classifier import load_classifier

    checks = list(checks)
    torch.set_num_threads(1)
    name, data = load_calibration_data(dataset_spec or "digits", checks[0])
    classifier = load_classifier(name)
    settings = checks[0].settings[name]
    if any(c.settings[name] != settings for c in checks):
        raise ValueError("the bounds of gan_torch share one training run: give them the same settings")
    draws = {d: calibration_secret(ASSIGNMENT, d) for d in range(n_draws or 5)}
    values, cpus = {c.key: {} for c in checks}, []
    for v, (what, mutant, perturb) in enumerate(VARIATIONS):
        module = load_reference(ASSIGNMENT) if mutant is None else unusual_variant(ASSIGNMENT, mutant)
        for d, secret in draws.items():
            m, cpu = graded_metrics(module, data, secret, classifier, settings, settings["coverage"], perturb)
            cpus.append(cpu)
            for check in checks:
                values[check.key][d, v] = m[check.metric_key]
            if verbose:
                print(f"draw {d} ({what[:40]}): " + ", ".join(f"{k} {values[k][d, v]:.4g}" for k in values)
                      + f" ({cpu:.1f} s CPU)", flush=True)
    return {c.key: calibrate_declared(c, worst_per_draw(values[c.key], c.higher_is_better), cpus, name,
                                            verbose=verbose) for c in checks}


if __name__ == "__main__":
    sys.exit(calibrate_main(ASSIGNMENT))
