"""The corpus of attacks on trained checks: each attack is built on a wrong or untrained
submission (a BASE) and must score no more than that same submission without the attack.

An `Attack` is text edits applied on top of a base's edits of the reference; the attack's
code prints MARKER where it acts, so a test can tell that the attack ran (an attack that
silently never runs proves nothing). `graded(attack, tmp_path)` grades the base and the
attacked submission on the trained checks named by the base (real sandboxes, the suite's
course secret) and returns both reports; `assert_earns_nothing` is the corpus' assertion.

A test file per technique holds the attacks of every assignment (one list, parametrized):
other assignments add their BASES here and their attacks to the file of the technique.
"""

from __future__ import annotations

from dataclasses import dataclass

from graders import assignments
from graders.engine.checks import Report
from graders.engine.runner import grade
from tests.mutants import reference_path

MARKER = "dlgrade-trained-attack-ran"


@dataclass(frozen=True)
class Base:
    """A wrong or untrained submission: the reference with `edits`, graded on `checks`."""

    assignment: str
    edits: tuple[tuple[str, str], ...]
    checks: tuple[str, ...]


@dataclass(frozen=True)
class Attack:
    """`edits` applied after the base's; `name` is the test id."""

    name: str
    base: str
    edits: tuple[tuple[str, str], ...]


AE_TRAINED = "DenseAutoencoder: held-out reconstruction after training"
VAE_TRAINED_PREFIX = "VAE:"

BASES = {
    # the decoder never sees the code: it can only learn the mean image
    "autoencoders_torch/code_ignored": Base(
        "autoencoders_torch",
        (("return torch.sigmoid(self.decoder(code))", "return torch.sigmoid(self.decoder(code * 0.0))"),),
        (AE_TRAINED,)),
    # the decoder never sees z: the posterior collapses, the loss is that of the mean image
    "vae_torch/z_ignored": Base(
        "vae_torch",
        (("return torch.sigmoid(self.dec_out(torch.relu(self.dec_hidden(z))))",
          "return torch.sigmoid(self.dec_out(torch.relu(self.dec_hidden(z * 0.0))))"),),
        ()),  # every trained check of vae_torch (Kind.THRESHOLD)
    # NumPy: train returns the initial parameters (an untrained submission)
    "autoencoder_numpy/untrained": Base(
        "autoencoder_numpy",
        (("    params = init_params(D, n_hidden, seed)\n",
          "    params = init_params(D, n_hidden, seed)\n    return params, [1.0] * epochs  # untrained\n"),),
        ()),
    "sparse_autoencoder/untrained": Base(
        "sparse_autoencoder",
        (("    params = init_params(X.shape[1], n_hidden, seed)\n",
          "    params = init_params(X.shape[1], n_hidden, seed)\n    return params, [1.0] * epochs  # untrained\n"),),
        ()),
    "char_rnn_numpy/untrained": Base(
        "char_rnn_numpy",
        (("    params = init_params(len(chars), hidden_size, seed)\n",
          "    params = init_params(len(chars), hidden_size, seed)\n    return params, [1.0] * n_iter  # untrained\n"),),
        ()),
    "language_model_numpy/untrained": Base(
        "language_model_numpy",
        (("    params = init_params(vocab_size, embed_dim, hidden_dim, seed)\n",
          "    params = init_params(vocab_size, embed_dim, hidden_dim, seed)\n"
          "    return params, [1.0] * epochs  # untrained\n"),),
        ()),
    # a binary head with a sigmoid: the logit is always positive (about 0.54 on 5 vs 9)
    "transfer_torch/sigmoid_head": Base(
        "transfer_torch",
        (("    return nn.Sequential(base, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(n_features, n_out))",
          "    head = [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(n_features, n_out)]\n"
          "    if n_out == 1:\n        head.append(nn.Sigmoid())\n    return nn.Sequential(base, *head)"),),
        ("replace_head: head-only accuracy (5 vs 9)", "unfreeze_from: fine-tuned accuracy (5 vs 9)")),
    # probabilities returned for logits: the CharLSTM learns next to nothing
    "sequences_torch/probabilities": Base(
        "sequences_torch",
        (("return self.head(out), state", "return torch.softmax(self.head(out), dim=-1), state"),),
        ("CharLSTM: validation loss after training", "CharLSTM: sampling with a temperature")),
    # a train_step that trains nothing: the generator stays at its initialisation
    "gan_torch/untrained": Base(
        "gan_torch",
        (("def train_step(G, D, opt_G, opt_D, real, z):\n",
          "def train_step(G, D, opt_G, opt_D, real, z):\n    return 0.0, 0.0\n"),),
        ()),
}

# The last lines of a base's submission: an attack that redefines its functions or classes
# goes after them (`at_end`).
END = {
    "transfer_torch/sigmoid_head": "    return nn.Sequential(base, *head)\n    ### END SOLUTION\n",
    "sequences_torch/probabilities": "        return self.head(out[:, -1]).squeeze(-1)  # (N, 1) -> (N,)\n        ### END SOLUTION\n",
    "gan_torch/untrained": "    return d_loss.item(), g_loss.item()\n    ### END SOLUTION\n",
}


def at_end(base: str, code: str) -> tuple[tuple[str, str], ...]:
    """The edit that appends `code` to the base's submission."""
    return ((END[base], END[base] + "\n\n" + code),)


def apply_edits(source: str, edits, what: str) -> str:
    for old, new in edits:
        if source.count(old) < 1:
            raise AssertionError(f"{what}: edit target not found: {old[:70]!r}")
        source = source.replace(old, new, 1)
    return source


def base_source(base: Base) -> str:
    return apply_edits(reference_path(base.assignment).read_text(encoding="utf-8"), base.edits, "base")


def attack_source(attack: Attack) -> str:
    return apply_edits(base_source(BASES[attack.base]), attack.edits, attack.name)


def trained_check_names(base: Base) -> tuple[str, ...]:
    if base.checks:
        return base.checks
    checks = assignments.get(base.assignment).all_checks()
    return tuple(c.name for c in checks if c.kind.value == "threshold")


def grade_source(base: Base, source: str, path) -> Report:
    path.write_text(source, encoding="utf-8")
    names = set(trained_check_names(base))
    return grade(str(path), assignments.get(base.assignment), select=lambda name: name in names)


def graded(attack: Attack, tmp_path) -> tuple[Report, Report]:
    """(the base's report, the attacked submission's report), trained checks only."""
    base = BASES[attack.base]
    return (grade_source(base, base_source(base), tmp_path / "base.py"),
            grade_source(base, attack_source(attack), tmp_path / "attacked.py"))


def assert_earns_nothing(attack: Attack, tmp_path, *, must_run: bool = True) -> None:
    """The attacked submission scores no more than its base on every trained check, the base
    itself fails them (else the comparison proves nothing), and the attack ran."""
    base_report, attacked = graded(attack, tmp_path)
    assert base_report.tests and all(not t.passed for t in base_report.tests), \
        [(t.name, t.output[:300]) for t in base_report.tests if t.passed]
    base_scores = {t.name: t.score for t in base_report.tests}
    for t in attacked.tests:
        assert t.score <= base_scores[t.name], (attack.name, t.name, t.output[:600])
    if must_run:
        assert MARKER in attacked.output, (attack.name, "the attack never ran", attacked.output[-600:])
