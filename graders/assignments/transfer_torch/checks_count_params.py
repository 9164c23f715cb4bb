"""The checks of `count_params`: against counts made by the task on models with buffers, shared
and frozen tensors (`tasks_probes.task_count_params`).
"""

from __future__ import annotations

from graders.engine.checks import CheckFailed

COUNT_MODELS = {
    "plain": "nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3)) (66 parameters in 4 tensors)",
    "base": "the transfer base (convolutions and BatchNorm layers; BatchNorm's running mean, variance and "
            "batch counter are buffers)",
    "tied": "two Linear(6, 6) layers sharing one weight tensor, a BatchNorm1d(6), the first bias frozen",
    "shared": "two Linear(6, 6) layers sharing one weight tensor (dec.weight = enc.weight), the second bias "
              "frozen",
    "classifier": "the base (frozen) + global average pooling + Linear(64, 1)",
}
COUNT_SLIPS = {
    "buffers": "buffers are counted (model.state_dict() or model.buffers()): BatchNorm's running statistics "
               "are not parameters; sum p.numel() over model.parameters().",
    "tensors": "the parameter TENSORS are counted, not their elements: sum p.numel() over the parameters.",
    "shared_twice": "a tensor shared by two layers is counted twice (a loop over every module's own "
                    "parameters); model.parameters() yields each tensor once.",
    "frozen_only": "the condition is inverted: trainable_only counts the parameters WITH requires_grad = True.",
}


def count_results(ctx) -> dict:
    out = ctx.task("count_params")
    if not isinstance(out, dict) or any(k not in out for k in COUNT_MODELS):
        raise CheckFailed("count_params: unexpected reply from the grader's task (an internal error).")
    return out


def check_count_params(ctx, cases):
    """cases: (model name, 0 for count_params(model) / 1 for trainable_only=True)."""
    r = count_results(ctx)
    for name, which in cases:
        got, want = int(r[name]["student"][which]), int(r[name]["expected"][which])
        if got == want:
            continue
        call = f"count_params(model{', trainable_only=True' if which else ''})"
        slip = next((words for key, words in COUNT_SLIPS.items()
                     if int(r[name]["wrong"][key][which]) == got and int(r[name]["wrong"][key][which]) != want),
                    None)
        if slip is None and which == 1 and got == int(r[name]["expected"][0]):
            slip = ("trainable_only is ignored: with trainable_only=True count only the parameters with "
                    "requires_grad = True.")
        raise CheckFailed(f"{call} is {got}; expected {want}.", expected=str(want), got=str(got),
                          where=f"model = {COUNT_MODELS[name]}", slip=slip)
