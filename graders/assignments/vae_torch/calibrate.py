"""Calibrate the trained-model bound of `vae_torch` on the reference solution.

    dlgrade calibrate vae_torch                               # digits, print the table
    dlgrade calibrate vae_torch --write                       # write thresholds.json
    dlgrade calibrate vae_torch --dataset mnist:PATH --write  # (or python -m graders.assignments.vae_torch.calibrate)

Measures the check exactly as a grade does (`trained_runs.measure`: secret subset, seed and
eps, training, encode and decode in turn, the loss computed by the grader) with the tasks
run in this process on the reference, over the runs of `graders.tooling.calibration_runs`
(five course-secret draws, a draw with inputs perturbed by 1e-12 relative, a draw with the
unusual variant of VARIANT_EDITS), and derives the bound from the worst run with the margin.
"""

from __future__ import annotations

import sys

from graders.tooling.calibrate_assignment import main as calibrate_main
from graders.tooling.calibration_runs import calibrate_trained_runs, in_process

ASSIGNMENT = "vae_torch"

# The correct-but-unusual variant of the reference measured in calibration run 6.
VARIANT_EDITS = [
    ("return mu + torch.exp(0.5 * logvar) * eps", "return mu + torch.sqrt(torch.exp(logvar)) * eps"),
    ("return -0.5 * torch.sum(1.0 + logvar - mu.pow(2) - logvar.exp(), dim=1)",
     "return -0.5 * (torch.sum(1.0 + logvar, dim=1) - torch.sum(mu * mu, dim=1) - torch.sum(logvar.exp(), dim=1))"),
    ("return torch.sigmoid(self.dec_out(torch.relu(self.dec_hidden(z))))",
     "return 1.0 / (1.0 + torch.exp(-self.dec_out(torch.relu(self.dec_hidden(z)))))"),
]


def in_process_measure(task, settings, data, secret, module):
    """trained_runs.measure with the tasks called directly on `module` (no sandbox)."""
    from . import tasks, trained_runs

    return in_process(trained_runs, tasks)(task, settings, data, secret, module)


def calibrate(checks, dataset_spec: str | None = None, n_draws: int | None = None, verbose: bool = True):
    """{check key: Threshold} of the declared `checks` on `dataset_spec` ("digits" by default)."""
    return calibrate_trained_runs(ASSIGNMENT, list(checks), dataset_spec, n_draws, verbose,
                                  variant_edits=VARIANT_EDITS, measure=in_process_measure)


if __name__ == "__main__":
    sys.exit(calibrate_main(ASSIGNMENT))
