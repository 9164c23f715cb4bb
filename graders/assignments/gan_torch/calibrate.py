"""Calibrate the trained-model bounds of `gan_torch` on the reference solution.

    python -m graders.assignments.gan_torch.calibrate                    # digits, print
    python -m graders.assignments.gan_torch.calibrate --write            # rewrite the table
    python -m graders.assignments.gan_torch.calibrate --dataset mnist:PATH --write

Runs what a grade runs, in this process, with the settings of `thresholds.py`: over course-secret
draws (>= 5; `--seeds` numbers them, default 0-4) and the harmless VARIATIONS, the training
task `tasks.task_train_gan` on the draw's training subset, the samples generated from the
trained state with the draw's z (the shared `task_torch_apply`), labelled by the shipped
digit classifier (`digit_classifier.mode_coverage`) and compared with the training images
(`memorisation.copy_ratio`); each bound comes from `graders.engine.thresholds.calibrate`
(the worst value of each draw over its variations, minus the margin). `--write` replaces
this data set's entry in the CALIBRATED TABLE block of thresholds.py.
"""

from __future__ import annotations

import sys

import torch

from graders.tooling.calibration import (DATASET_SEEDS, calibrate_check, dataset_main, load_calibration_data,
                                        load_reference, perturbed, timed, unusual_variant, variation_note,
                                        worst_per_draw)
from graders.engine.secret import fixed_secret

# (what, the unusual submission of tests/mutants or None for the reference, perturb the images)
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


def run(dataset_spec: str = "digits", seeds=DATASET_SEEDS, checks=None, verbose: bool = True):
    """Calibrate `checks` (all by default); returns (dataset name, {check: Threshold})."""
    from . import thresholds
    from .digit_classifier import load_classifier

    torch.set_num_threads(1)
    name, data = load_calibration_data(dataset_spec, thresholds.DATA)
    classifier = load_classifier(name)
    settings = thresholds.SETTINGS[name]["gan"]
    coverage = thresholds.COVERAGE[name]
    draws = {d: fixed_secret(f"calibration draw {d}", "gan_torch") for d in seeds}
    values, cpus = {c: {} for c in thresholds.CHECKS}, []
    for v, (what, mutant, perturb) in enumerate(VARIATIONS):
        module = load_reference("gan_torch") if mutant is None else unusual_variant("gan_torch", mutant)
        for d, secret in draws.items():
            m, cpu = graded_metrics(module, data, secret, classifier, settings, coverage, perturb)
            cpus.append(cpu)
            for check in values:
                values[check][d, v] = m[thresholds.METRIC_KEYS[check]]
            if verbose:
                print(f"draw {d} ({what[:40]}): " + ", ".join(f"{c} {values[c][d, v]:.4g}" for c in values)
                      + f" ({cpu:.1f} s CPU)", flush=True)
    note = variation_note([w for w, _, _ in VARIATIONS], draws)
    table = {}
    for check in list(checks or thresholds.CHECKS):
        higher = thresholds.METRICS[check][1]
        table[check] = calibrate_check(
            check, worst_per_draw(values[check], higher), cpus, table=thresholds, dataset=name, verbose=verbose,
            settings={**settings, "coverage": dict(coverage), "calibrated_over": note})
    return name, table


def main(argv=None) -> int:
    from . import thresholds

    return dataset_main(argv, __doc__, thresholds, thresholds.CHECKS, run)


if __name__ == "__main__":
    sys.exit(main())
