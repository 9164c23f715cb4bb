"""The checks of `freeze`.

The pretrained base frozen by the submission under a head built by the task, two SGD steps
(momentum, weight decay) in train mode: no gradient reaches the base, no weight and no
BatchNorm running statistic changes, and the base's output in train mode equals its output
in eval mode (`tasks_probes.task_freeze_probe`).
"""

from __future__ import annotations

from graders.assignments.transfer_torch.data import PROBE_ROWS, probe_images, weights
from graders.assignments.transfer_torch.feedback import layer_table, task_dict
from graders.engine.checks import CheckFailed


def freeze_probe(ctx) -> dict:
    out = ctx.task("freeze_probe", weights=weights(), X=probe_images(), n_classes=5, trusted_head=True)
    return task_dict(out, "freeze", ("base_param_change", "base_buffer_change", "base_grads", "base_trainable",
                                     "layers", "train_vs_eval"))


PROBE_SETUP = ("Setup: the pretrained base (10 children, 23520 parameters) after freeze(base), under a "
               "head built by the grader (global average pooling + Linear(64, 5)); model.train(); two "
               "steps of SGD (lr 0.1, momentum 0.9, weight decay 1e-3) on all of model.parameters(), "
               f"on {PROBE_ROWS} digit images.")


def check_freeze_no_gradients(ctx):
    r = freeze_probe(ctx)
    n_trainable, n_grads = int(r["base_trainable"]), int(r["base_grads"])
    change = float(r["base_param_change"])
    if n_trainable == 0 and n_grads == 0 and change == 0.0:
        return None
    table = "Per child of the base after freeze(base):\n" + layer_table(r["layers"])
    if n_trainable:
        raise CheckFailed(
            f"freeze(base) left {n_trainable} of the base's parameters trainable (requires_grad = True).",
            expected="0 trainable parameters in the base", got=f"{n_trainable} trainable",
            diff=f"{n_grads} parameter tensors of the base received a gradient; the largest change of a "
                 f"weight after two optimizer steps was {change:.4g}",
            slip="requires_grad is never set to False: module.eval() (or pinning BatchNorm) does not stop "
                 "gradients; call p.requires_grad_(False) for every p in module.parameters() (recursively).",
            details=f"{table}\n{PROBE_SETUP}")
    raise CheckFailed(
        "freeze(base): the base's weights changed during the optimizer steps although none of them is "
        "trainable.",
        expected="every weight of the base unchanged", got=f"largest change {change:.4g}",
        slip="the weights are modified by freeze itself or by a hook it installs.",
        details=f"{table}\n{PROBE_SETUP}")


def check_freeze_batchnorm_inference(ctx):
    r = freeze_probe(ctx)
    buffers, gap = float(r["base_buffer_change"]), float(r["train_vs_eval"])
    if buffers == 0.0 and gap == 0.0:
        return None
    raise CheckFailed(
        "freeze(base): a frozen BatchNorm layer does not stay in inference mode after model.train().",
        expected="the running statistics unchanged, and the base's output in train mode equal to its "
                 "output in eval mode",
        got=f"running statistics changed by up to {buffers:.4g}; train-mode output differs from the "
            f"eval-mode output by up to {gap:.4g}",
        slip=("BatchNorm is left in training mode: requires_grad = False does not stop it from normalising "
              "with the batch's statistics and updating its running mean and variance (buffers, not "
              "parameters)." if buffers > 0 else
              "BatchNorm normalises with the batch's statistics in train mode (momentum = 0 keeps the "
              "running statistics, but the layer must also USE them).")
             + " module.eval() once is not enough: model.train() on the whole model switches it back. Keep "
               "each frozen BatchNorm layer in eval mode, e.g. with a forward pre-hook that sets "
               "module.training = False, or by overriding its train().",
        details=PROBE_SETUP)
