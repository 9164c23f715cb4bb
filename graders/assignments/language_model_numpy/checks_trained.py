"""The trained-model checks of `language_model_numpy`: held-out next-word accuracy and
cross-entropy against the bounds calibrated on the reference (thresholds.py).

The data are built in the grader's process with the REFERENCE build_dataset (so a slip
in the submission's build_dataset costs only its own checks), drawn from the course secret
(thresholds.graded_data: secret held-out 4-grams, word order and seed, so parameters
prepared in advance for the public text do not fit), and sent to the sandbox, where the
submission's train runs once per grade with SETTINGS (through tasks.task_train_timed,
which also measures its CPU time). The returned
parameters are validated and scored with `held_out_metrics`, the grader's own forward
pass, so a wrong forward in the submission cannot flatter its own result. The feedback
shows the predicted completions of a few frequent contexts of the text (the grader's
forward again, not the submission's predict_next) and the course text's (D, P) table; the
options' `all_configs` (False by default) also trains D = 8 / P = 64 and D = 32 / P = 256 and
reports their accuracies (not graded).
"""

from __future__ import annotations

import numpy as np

from graders.assignments.language_model_numpy.checks_training import require_reproducible_train
from graders.assignments.language_model_numpy.problems import params_dict
from graders.assignments.language_model_numpy.thresholds import (
    BASELINE_ACCURACY,
    BASELINE_CROSS_ENTROPY,
    BASELINE_WORD,
    CONFIG_REFERENCE,
    CONFIGS,
    PROMPTS,
    SETTINGS,
    graded_data,
    held_out_metrics,
)
from graders.engine import expect, shared
from graders.engine.checks import CheckFailed
from graders.sandbox.errors import StudentError

DATASET = "pydoc_data.topics 4-grams"  # the data set the bounds are declared on

TRAIN_TIMEOUT_S = 120.0    # wall time of the calibrated run (CPU budget 20 s) on a busy machine
CONFIG_TIMEOUT_S = 240.0   # the two other sizes, when the options ask for them
TINY_INIT_STD = 0.03       # W1 and W2 both this small (0.01 * randn) learn too slowly in the budget


class TrainedRun:
    def __init__(self, out, data: dict, d: int, p: int):
        s = SETTINGS
        self.data = data
        self.what = (f"train(train_contexts, train_targets, V={s['vocab_size']}, D={d}, P={p}, lr={s['lr']}, "
                     f"momentum={s['momentum']}, epochs={s['epochs']}, batch_size={s['batch_size']}, "
                     "seed=<secret seed>)")
        if not isinstance(out, dict) or "result" not in out:  # the task's own reply: always this shape
            raise CheckFailed("the training task returned an unexpected value (an internal error).")
        result = expect.sequence(out["result"], self.what, 2)
        self.params = params_dict(result[0], f"the params returned by {self.what}", len(data["vocab"]), d, p)
        self.cpu_s = float(out.get("cpu_s") or 0.0)
        self.accuracy, self.cross_entropy = held_out_metrics(self.params, data["test_contexts"],
                                                             data["test_targets"])


def data(ctx) -> dict:
    """This course's draw of the 4-grams (thresholds.graded_data), made once per grade."""
    return ctx.shared("draw", lambda: graded_data(ctx.session.secret))


def run_config(ctx, d: int, p: int) -> TrainedRun:
    """The submission's train at SETTINGS with sizes (d, p), run once per grade (so is a failure)."""
    def run() -> TrainedRun:
        s, D = SETTINGS, data(ctx)
        out = ctx.task("train_timed", contexts=D["train_contexts"], targets=D["train_targets"],
                       vocab_size=len(D["vocab"]), embed_dim=d, hidden_dim=p, lr=s["lr"],
                       momentum=s["momentum"], epochs=s["epochs"], batch_size=s["batch_size"],
                       train_seed=D["seed"])
        return TrainedRun(out, D, d, p)

    return ctx.shared((d, p), run)


def graded_run(ctx) -> TrainedRun:
    """The graded run, judged only when train is reproducible (a model that changes from grade to
    grade would pass or fail by chance)."""
    require_reproducible_train(ctx)
    return run_config(ctx, SETTINGS["embed_dim"], SETTINGS["hidden_dim"])


def complete(params: dict, vocab: list[str], prompt: tuple[str, ...]) -> str:
    """The most probable next word after `prompt` under params (the grader's forward)."""
    index = {w: i for i, w in enumerate(vocab)}
    context = np.array([[index[w] for w in prompt]], dtype=np.int64)
    p = params
    e = p["E"][context].reshape(1, -1)
    h = 0.5 * (1.0 + np.tanh(0.5 * (e @ p["W1"] + p["b1"])))
    return vocab[int(np.argmax(h @ p["W2"] + p["b2"]))]


def completions(params: dict, d: dict) -> list[str]:
    """'"can be used" -> "to"   (most frequent in the text: "to", 30 of 45)' per prompt, with
    the words indexed as in the draw `d` the params were trained on."""
    vocab = d["vocab"]
    C = np.concatenate([d["train_contexts"], d["test_contexts"]])
    T = np.concatenate([d["train_targets"], d["test_targets"]])
    lines = []
    for prompt in PROMPTS:
        ids = [vocab.index(w) for w in prompt]
        seen = np.bincount(T[(C == ids).all(axis=1)], minlength=len(vocab))
        lines.append(f'"{" ".join(prompt)}" -> "{complete(params, vocab, prompt)}"   (most frequent in the '
                     f'text: "{vocab[int(seen.argmax())]}", {int(seen.max())} of {int(seen.sum())})')
    return lines


def config_lines(ctx, run: TrainedRun) -> list[str]:
    """The accuracy per (D, P): yours where trained, the reference's mean from calibration."""
    lines = []
    for d, p in CONFIGS:
        ref_acc, ref_ce, ref_cpu = CONFIG_REFERENCE[(d, p)]
        graded = (d, p) == (SETTINGS["embed_dim"], SETTINGS["hidden_dim"])
        mine = run if graded else None
        if not graded and ctx.options.get("all_configs"):
            try:
                mine = run_config(ctx, d, p)
            except shared.FAILURES as exc:
                lines.append(f"  D = {d:2d}, P = {p:3d}: your run failed ({str(exc)[:100]}); reference "
                             f"{ref_acc:.3f}")
                continue
        yours = (f"yours {mine.accuracy:.3f} (cross-entropy {mine.cross_entropy:.2f}, {mine.cpu_s:.1f} s CPU)"
                 if mine else "not trained in this grade")
        lines.append(f"  D = {d:2d}, P = {p:3d}{' (graded)' if graded else '         '}: {yours}; reference "
                     f"{ref_acc:.3f} (cross-entropy {ref_ce:.2f}, about {ref_cpu:g} s CPU)")
    return lines


def _tiny_init_slip(ctx) -> str | None:
    V = len(data(ctx)["vocab"])
    try:
        init = params_dict(ctx.call("init_params", V, SETTINGS["embed_dim"], SETTINGS["hidden_dim"], 0),
                           "init_params", V, SETTINGS["embed_dim"], SETTINGS["hidden_dim"])
    except (CheckFailed, StudentError):
        return None
    scale = max(float(init["W1"].std()), float(init["W2"].std()))
    if scale < TINY_INIT_STD:
        return (f"init_params draws W1 and W2 with a standard deviation of {scale:.3g} (like 0.01 * randn): "
                "too small to learn within this budget; the docstring scales them by 1 / sqrt(fan-in) "
                f"({1 / np.sqrt(3 * SETTINGS['embed_dim']):.3g} for W1, {1 / np.sqrt(SETTINGS['hidden_dim']):.3g} "
                "for W2).")
    return None


def _fail(ctx, run: TrainedRun, metric: str, value: float):
    t = ctx.check.threshold.for_dataset(DATASET)
    baseline = (f'always predicting "{BASELINE_WORD}" has held-out accuracy {BASELINE_ACCURACY:.3f}'
                if t.higher_is_better else
                f"the training words' frequencies have held-out cross-entropy {BASELINE_CROSS_ENTROPY:.2f}")
    raise CheckFailed(
        f"train: the trained model's {metric} ({value:.4g}) is worse than the calibrated bound.",
        expected=t.describe(), got=f"{metric} {value:.6g} after {run.what} ({run.cpu_s:.1f} s CPU)",
        diff=f"{value / t.reference_mean:.2f} times the reference's mean; {baseline}",
        slip=_tiny_init_slip(ctx) or "check the loss_and_grads and train checks first: a gradient or an update "
                                     "that goes the wrong way, momentum ignored, or a learning rate applied twice.",
        details="Predicted completions (your parameters, the grader's forward pass):\n  "
                + "\n  ".join(completions(run.params, run.data)))


def check_train_accuracy(ctx):
    t = ctx.check.threshold.for_dataset(DATASET)
    run = graded_run(ctx)
    if not t.passes(run.accuracy):
        _fail(ctx, run, "held-out next-word accuracy", run.accuracy)
    lines = [f"held-out next-word accuracy {run.accuracy:.4f} ({run.what}, {run.cpu_s:.1f} s CPU, measured with "
             f"the grader's forward pass on {len(run.data['test_targets'])} held-out 4-grams, this course's "
             "secret draw of held-out rows and word order). Passed: "
             f"{t.describe()}; always predicting \"{BASELINE_WORD}\": {BASELINE_ACCURACY:.3f}.",
             "Accuracy per embedding and hidden size (the course text's sizes):", *config_lines(ctx, run),
             "Predicted completions:", *("  " + line for line in completions(run.params, run.data))]
    return "\n".join(lines)


def check_train_cross_entropy(ctx):
    t = ctx.check.threshold.for_dataset(DATASET)
    run = graded_run(ctx)
    if not t.passes(run.cross_entropy):
        _fail(ctx, run, "held-out cross-entropy", run.cross_entropy)
    return (f"held-out cross-entropy {run.cross_entropy:.4f} nats (perplexity {np.exp(run.cross_entropy):.1f}). "
            f"Passed: {t.describe()}; the training words' frequencies: {BASELINE_CROSS_ENTROPY:.2f}.")
