"""The inputs-unchanged checks of `lstm_gru_numpy`: no function modifies what the caller
passed (the contract says "in place" nowhere here). The classic slip is CS231n's
`dnext_c += ...` in a step's backward pass, which adds into the caller's dc: the sequence
loop that owns dc then carries a wrong value back in time.

A backward pass gets the cache its own forward pass returned; that object is the
submission's, so only the caller's arrays (dh, dc, dHs, x, h_prev, c_prev, X, h0, params)
are compared.
"""

from __future__ import annotations

from graders.assignments.lstm_gru_numpy.problems import H, N, draw_lstm, gru_params
from graders.engine import expect
from graders.engine.arguments import as_argument, copy_params
from graders.engine.common import inputs_unchanged_check

GATE = "sigmoid"


def _lstm_step(ctx):
    X, h_prev, c_prev, P = draw_lstm(ctx.rng, GATE, 1)
    return X[:, 0], h_prev, c_prev, P


def _lstm_step_forward_args(ctx):
    x, h_prev, c_prev, P = _lstm_step(ctx)
    return x, h_prev, c_prev, P, GATE


def _lstm_step_backward_args(ctx):
    x, h_prev, c_prev, P = _lstm_step(ctx)
    out = expect.sequence(ctx.call("lstm_step_forward", x, h_prev, c_prev, copy_params(P), GATE),
                          "lstm_step_forward(...)", 3)
    return ctx.rng.normal(size=(N, H)), ctx.rng.normal(size=(N, H)), as_argument(out[2])


def _lstm_forward_args(ctx):
    X, h0, _, P = draw_lstm(ctx.rng, GATE, 4)
    return X, h0, P, GATE


def _lstm_backward_args(ctx):
    X, h0, _, P = draw_lstm(ctx.rng, GATE, 4)
    out = expect.sequence(ctx.call("lstm_forward", X, h0, copy_params(P), GATE), "lstm_forward(...)", 2)
    return ctx.rng.normal(size=(N, X.shape[1], H)), as_argument(out[1])


def _gru_step(ctx):
    X, h_prev, _, _ = draw_lstm(ctx.rng, GATE, 1)
    return X[:, 0], h_prev, gru_params(ctx.rng, X.shape[2], H)


def _gru_step_backward_args(ctx):
    x, h_prev, P = _gru_step(ctx)
    out = expect.sequence(ctx.call("gru_step_forward", x, h_prev, copy_params(P)), "gru_step_forward(...)", 2)
    return ctx.rng.normal(size=(N, H)), as_argument(out[1])


def yield_inputs_checks():
    """One "leaves its inputs unchanged" check per contract function."""
    yield inputs_unchanged_check("lstm_step_forward", _lstm_step_forward_args,
                                 ("x", "h_prev", "c_prev", "params", None))
    yield inputs_unchanged_check("lstm_step_backward", _lstm_step_backward_args, ("dh", "dc", None),
                                 needs=("lstm_step_forward", "lstm_step_backward"))
    yield inputs_unchanged_check("lstm_forward", _lstm_forward_args, ("X", "h0", "params", None))
    yield inputs_unchanged_check("lstm_backward", _lstm_backward_args, ("dHs", None),
                                 needs=("lstm_forward", "lstm_backward"))
    yield inputs_unchanged_check("gru_step_forward", _gru_step, ("x", "h_prev", "params"))
    yield inputs_unchanged_check("gru_step_backward", _gru_step_backward_args, ("dh", None),
                                 needs=("gru_step_forward", "gru_step_backward"))
