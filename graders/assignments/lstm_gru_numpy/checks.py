"""The checks of `lstm_gru_numpy`, one `check_<function>_<property>` per check, and the generator.

Forward passes are compared with the reference, for both LSTM gate functions, and the
LSTM step is run on the course's hard-sigmoid worked example. Backward passes are
gradient-checked against central differences of the REFERENCE forward pass in the
grader's process: for a step, f = sum(dh * h + dc * c); for a sequence,
f = sum(dHs * Hs). The analytic gradients come from the submission's backward pass fed
with the submission's own cache, exactly as its forward pass returned it (a cache that
holds objects the wire cannot carry stays in the sandbox and is passed back by handle).

- `lstm_step_forward`, `lstm_step_backward`: checks_lstm_step.py;
- `lstm_forward`, `lstm_backward`: checks_lstm_sequence.py;
- `gru_step_forward`, `gru_step_backward`: checks_gru.py;
- every function leaves the caller's arrays unchanged: checks_inputs.py;
- sizes and random problems: problems.py. In hard-sigmoid mode the inputs are redrawn
  until no gate pre-activation lies within 1e-3 of the kinks at +-2.5 (and some lie on
  each side), so a finite difference never straddles a kink.
"""

from __future__ import annotations

from functools import partial

from graders.assignments.lstm_gru_numpy.checks_gru import check_gru_step_backward, check_gru_step_forward_values
from graders.assignments.lstm_gru_numpy.checks_inputs import yield_inputs_checks
from graders.assignments.lstm_gru_numpy.checks_lstm_sequence import check_lstm_backward, check_lstm_forward_values
from graders.assignments.lstm_gru_numpy.checks_lstm_step import (
    check_lstm_step_backward,
    check_lstm_step_forward_values,
    check_lstm_step_forward_worked_example,
)
from graders.assignments.lstm_gru_numpy.problems import GRU_KEYS, LSTM_KEYS, T
from graders.engine.checks import Check, Kind

CONTRACT = ("lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
            "gru_step_forward", "gru_step_backward")
GATES = ("sigmoid", "hard_sigmoid")


# ------------------------------------------------------------------ the generator


def yield_checks(options: dict):
    """Every check of lstm_gru_numpy, in the order of the contract."""
    for gate in GATES:
        yield Check(f"lstm_step_forward: h and c (gate={gate!r})", partial(check_lstm_step_forward_values, gate=gate))
    yield Check("lstm_step_forward: the course's hard-sigmoid worked example (c, a, y at t = 1, 2)",
                check_lstm_step_forward_worked_example, points=2)
    both = ("lstm_step_forward", "lstm_step_backward")
    for gate in GATES:
        yield Check(f"lstm_step_backward: gradient check of dx and dh_prev (gate={gate!r})",
                    partial(check_lstm_step_backward, gate=gate, keys=("x", "h_prev")), points=1.5,
                    kind=Kind.GRADIENT, needs=both)
        yield Check(f"lstm_step_backward: gradient check of dc_prev, the cell-state path (gate={gate!r})",
                    partial(check_lstm_step_backward, gate=gate, keys=("c_prev",)),
                    kind=Kind.GRADIENT, needs=both)
        yield Check(f"lstm_step_backward: gradient check of the weights and biases (gate={gate!r})",
                    partial(check_lstm_step_backward, gate=gate, keys=LSTM_KEYS), points=2,
                    kind=Kind.GRADIENT, needs=both)
    for gate in GATES:
        yield Check(f"lstm_forward: Hs over {T} time steps (gate={gate!r})",
                    partial(check_lstm_forward_values, gate=gate))
    seq = ("lstm_forward", "lstm_backward")
    for gate in GATES:
        yield Check(f"lstm_backward: gradient check of dX, dh0 and the weights, dHs on every step (gate={gate!r})",
                    partial(check_lstm_backward, gate=gate, last_only=False), points=2,
                    kind=Kind.GRADIENT, needs=seq)
        yield Check(f"lstm_backward: the cell-state path across time, only the last dH nonzero (gate={gate!r})",
                    partial(check_lstm_backward, gate=gate, last_only=True), points=1.5,
                    kind=Kind.GRADIENT, needs=seq)
    yield Check("gru_step_forward: h in PyTorch's convention", check_gru_step_forward_values, points=1.5)
    gru = ("gru_step_forward", "gru_step_backward")
    yield Check("gru_step_backward: gradient check of dx and dh_prev",
                partial(check_gru_step_backward, keys=("x", "h_prev")), points=1.5, kind=Kind.GRADIENT, needs=gru)
    yield Check("gru_step_backward: gradient check of the weights and biases",
                partial(check_gru_step_backward, keys=GRU_KEYS), points=2, kind=Kind.GRADIENT, needs=gru)
    yield from yield_inputs_checks()
