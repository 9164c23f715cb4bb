"""The inputs-unchanged checks of `language_model_numpy`: no function modifies what the caller
passed (the contract says "in place" nowhere here). The slips: the output bias shifted in place
to keep the scores small (softmax ignores the shift, so the probabilities stay right while the
caller's b2 drifts), the embedding gradient accumulated into the caller's E (`dE = params["E"];
dE[:] = 0`), the caller's words lower-cased in place, the caller's training data shuffled in
place. build_dataset takes a string, which no function can modify.
"""

from __future__ import annotations

from graders.assignments.language_model_numpy.checks_model import PREDICT_PROMPTS, PREDICT_VOCAB, predict_problem
from graders.assignments.language_model_numpy.problems import V, lm_problem
from graders.engine.common import inputs_unchanged_check


def _forward_args(ctx):
    params, context, _ = lm_problem(ctx.rng)
    return params, context


def _loss_and_grads_args(ctx):
    return lm_problem(ctx.rng)


def _predict_next_args(ctx):
    return predict_problem(ctx.rng), list(PREDICT_VOCAB), list(PREDICT_PROMPTS[-1])  # "The": a capital


def _train_args(ctx):
    _, contexts, targets = lm_problem(ctx.rng)
    return contexts, targets, V, 3, 5, 0.1, 0.9, 2, 4, 0


def yield_inputs_checks():
    """One small check per function: the caller's arrays (and words) are as they were."""
    yield inputs_unchanged_check("forward", _forward_args, ("params", "context"))
    yield inputs_unchanged_check("loss_and_grads", _loss_and_grads_args, ("params", "context", "target"))
    yield inputs_unchanged_check("predict_next", _predict_next_args, ("params", "vocab", "words"))
    yield inputs_unchanged_check("train", _train_args, ("contexts", "targets") + (None,) * 8)
