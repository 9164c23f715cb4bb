"""Grading a wrong submission with and without an attack on the trained checks of `gan_torch`,
`sequences_torch` and `transfer_torch`.

A submission here is the reference with edits that make it wrong (a `Mutant` of
tests/mutants), plus, for the hostile version, attack code appended at the end (it runs at
import in every sandbox of the grade: the training one and each fresh evaluation one). The
attack must earn nothing: the hostile version scores no more than the wrong one on the
checks it targets.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from graders import assignments
from graders.engine.runner import grade
from tests.mutants import Mutant, reference_path

# wrong or untrained submissions the attacks start from
WRONG = {
    "transfer_torch": Mutant("binary head with a sigmoid", "    return nn.Sequential(base, nn.AdaptiveAvgPool2d(1), "
                             "nn.Flatten(), nn.Linear(n_features, n_out))",
                             "    head = [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(n_features, n_out)]\n"
                             "    if n_out == 1:\n        head.append(nn.Sigmoid())\n"
                             "    return nn.Sequential(base, *head)"),
    "sequences_torch": Mutant("probabilities for logits", "return self.head(out), state",
                              "return torch.softmax(self.head(out), dim=-1), state"),
    "gan_torch": Mutant("train_step that trains nothing", "def train_step(G, D, opt_G, opt_D, real, z):\n",
                        "def train_step(G, D, opt_G, opt_D, real, z):\n    return 0.0, 0.0\n"),
}
# the trained checks each attack targets
CHECKS = {
    "transfer_torch": ("replace_head: head-only accuracy (5 vs 9)", "unfreeze_from: fine-tuned accuracy (5 vs 9)"),
    "sequences_torch": ("CharLSTM: validation loss after training", "CharLSTM: sampling with a temperature"),
    "gan_torch": ("GAN: samples cover",),
}


def source(assignment_id: str, attack: str = "") -> str:
    """The wrong submission of `assignment_id`, with `attack` appended."""
    text = WRONG[assignment_id].apply(reference_path(assignment_id).read_text(encoding="utf-8"))
    return text + ("\n\n# --- the attack\n" + attack if attack else "")


def graded(assignment_id: str, attack: str = ""):
    """The report of the targeted trained checks on the wrong submission (with `attack`)."""
    return _graded(assignment_id, attack)


@functools.lru_cache(maxsize=None)
def _graded(assignment_id: str, attack: str):
    with tempfile.TemporaryDirectory(prefix="dlgrade-trained-attack-") as directory:
        path = Path(directory) / "submission.py"
        path.write_text(source(assignment_id, attack), encoding="utf-8")
        return grade(str(path), assignments.get(assignment_id),
                     select=lambda name: name.startswith(CHECKS[assignment_id]))


def assert_earns_nothing(assignment_id: str, attack: str):
    """The hostile submission scores no more than the wrong one on every targeted check; its report."""
    wrong, hostile = graded(assignment_id), graded(assignment_id, attack)
    assert [t.name for t in hostile.tests] == [t.name for t in wrong.tests] and wrong.tests
    for before, after in zip(wrong.tests, hostile.tests):
        assert after.score <= before.score, (after.name, after.output)
    assert "internal error" not in "".join(t.output for t in hostile.tests)
    return hostile
