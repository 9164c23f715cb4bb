"""Feedback helpers of the `transfer_torch` checks: the per-layer counts as a table, a task's
reply checked.
"""

from __future__ import annotations

from graders.engine.checks import CheckFailed


def layer_table(layers, index: int | None = None) -> str:
    """The per-layer trainable / frozen counts as a small text table."""
    lines = ["  child  layer         trainable   frozen" + ("   expected trainable" if index is not None else "")]
    for row in layers:
        total = int(row["trainable"]) + int(row["frozen"])
        line = (f"  {int(row['index']):5d}  {str(row['layer'])[:12]:12s}  {int(row['trainable']):9d}  "
                f"{int(row['frozen']):7d}")
        if index is not None:
            want = total if int(row["index"]) >= index else 0
            line += f"   {want:18d}" + ("   <- wrong" if want != int(row["trainable"]) else "")
        lines.append(line)
    return "\n".join(lines)


def task_dict(value, what: str, keys: tuple[str, ...]) -> dict:
    """A task's reply: always a dict with these keys (anything else is an internal error)."""
    if not isinstance(value, dict) or any(k not in value for k in keys):
        raise CheckFailed(f"{what}: unexpected reply from the grader's task (an internal error).")
    return value
