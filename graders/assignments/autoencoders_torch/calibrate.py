"""Calibrate the trained-model bounds of `autoencoders_torch` on the reference solution.

    dlgrade calibrate autoencoders_torch                               # digits, print the table
    dlgrade calibrate autoencoders_torch --write                       # write thresholds.json
    dlgrade calibrate autoencoders_torch --dataset mnist:PATH --write  # (or python -m ...calibrate)

Measures each check exactly as a grade does (`trained_runs.measure`: secret subset and seed,
training, encode and decode of the relayed code, the metric computed by the grader), with
the tasks run in this process on the reference, over the runs of
`graders.tooling.calibration_runs` (five course-secret draws, a draw with inputs perturbed
by 1e-12 relative, a draw with the unusual variant of VARIANT_EDITS), and derives each bound
from the worst run with the check's margin. The checks `sparsity_factor` and
`sparse_reconstruction` share one measurement per run.
"""

from __future__ import annotations

import sys

from graders.tooling.calibrate_assignment import main as calibrate_main
from graders.tooling.calibration_runs import calibrate_trained_runs, in_process

ASSIGNMENT = "autoencoders_torch"

# The correct-but-unusual variant of the reference measured in calibration run 6.
VARIANT_EDITS = [
    ("return torch.relu(self.encoder(x))", "return torch.relu(x @ self.encoder.weight.T + self.encoder.bias)"),
    ("return torch.sigmoid(self.decoder(code))", "return 1.0 / (1.0 + torch.exp(-self.decoder(code)))"),
    ("return factor * code.abs().flatten(1).sum(dim=1).mean()",
     "total = 0.0\n    for sample in code:\n        total = total + sample.abs().sum()\n"
     "    return factor * total / len(code)"),
    ('nn.Upsample(scale_factor=2, mode="nearest")', "nn.UpsamplingNearest2d(scale_factor=2)"),
    ("eps = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)",
     "eps = torch.normal(0.0, 1.0, size=tuple(x.shape), generator=generator, dtype=x.dtype)"),
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
