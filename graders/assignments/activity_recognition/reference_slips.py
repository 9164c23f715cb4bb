"""The reference's gradients with a known slip (BPTT through the last steps only).

The checks name a slip by matching a submission's gradient with these. The code is a copy
of the solution's backward pass, so a student pack records this module's answers, as it
records the reference's, rather than carrying it (graders.tooling.student_pack.sources:
`reference_*` modules).
"""

from __future__ import annotations

import numpy as np

from graders.engine.arguments import copy_params
from reference.numpy import activity_recognition as ref


def grads_last_steps(params: dict, X: np.ndarray, y: np.ndarray, cell: str, steps: int = 1) -> dict:
    """The reference gradients with backpropagation through the last `steps` steps only
    (what a BPTT loop that stops early, or never carries dh back, gives)."""
    late = ref.loss_and_grads(copy_params(params), X, y, cell)[1]  # the dense layers' keys are right
    probs, (_, caches, activations, _) = ref.forward(params, X, cell)
    n = len(y)
    da = probs.copy()
    da[np.arange(n), y] -= 1.0
    da /= n
    L = ref.n_dense_layers(params)
    for l in range(L, 0, -1):
        da = da @ params[f"W{l}"].T
        if l > 1:
            da = da * (activations[l - 1] > 0)
    for k in ref.CELL_KEYS[cell]:
        late[k] = np.zeros_like(params[k])
    dh, dc = da, np.zeros_like(da)
    for t in reversed(range(len(caches) - steps, len(caches))):
        if cell == "rnn":
            _, dh, g = ref.rnn_step_backward(dh, caches[t], params)
        elif cell == "lstm":
            _, dh, dc, g = ref.lstm_step_backward(dh, dc, caches[t], params)
        else:
            _, dh, g = ref.gru_step_backward(dh, caches[t], params)
        for k in g:
            late[k] += g[k]
    return late
