"""Calibrated thresholds for trained-model checks.

A trained-model check compares what a submission's training reaches with a bound that
was calibrated on the reference solution. The bound never lives only in prose: each
assignment keeps a `THRESHOLDS` table of `Threshold` records in its `thresholds.py`,
written by its `calibrate.py` (which retrains the reference over several seeds and
prints the table), and the README/docs quote the table.

The bound is derived from the reference's results over `seeds`:

    lower_is_better:  bound = worst reference value * (1 + margin)
    higher_is_better: bound = worst reference value * (1 - margin)

so every calibrated reference seed passes with room to spare, and a submission that
trains clearly worse than the reference fails.

The second half writes a table back into a thresholds.py as Python literals, so that a
calibrate script's `--write` rewrites only the table (and named constants) and keeps
the hand-written rest of the file byte for byte.
"""

from __future__ import annotations

import pprint
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import mean, pstdev


@dataclass(frozen=True)
class Threshold:
    """One calibrated bound.

    metric: what is measured, e.g. "held-out MSE".
    bound: the pass/fail line.
    higher_is_better: direction of `metric`.
    reference_values: the reference's value for each calibration seed.
    seeds: the calibration seeds (the grade itself uses `grade_seed`); for a check whose seed
        and data come from the course secret, the calibration draws
        (`calibration.calibration_secret(assignment, draw)`), and `grade_seed` is unused.
    margin: relative slack added to the worst reference value.
    cpu_budget_s: CPU seconds the check may spend (two cores, this suite's machine).
    settings: the training settings shared by calibration and grading.
    dataset: which data the bound was calibrated on ("digits", "mnist", ...).
    model_size: the model the CPU budget assumes, in words a student can compare with their own
        ("the template's sizes: ..."); a check that runs over its time says so with it. It is
        declared next to the calibrated table, by `with_model_size`, never written into it, so a
        recalibration keeps it and rewrites no byte of its own.
    variation: the harmless variations of the reference the bound was also calibrated on
        ({what was varied: {seed or draw: value}}: a re-associated sum, inputs perturbed by
        1e-12 relative, another correct update order); the bound covers them too. Empty for
        a bound calibrated over seeds alone.
    """

    metric: str
    bound: float
    higher_is_better: bool
    reference_values: tuple[float, ...]
    seeds: tuple[int, ...]
    margin: float
    cpu_budget_s: float
    grade_seed: int = 0
    settings: dict = field(default_factory=dict)
    dataset: str = "digits"
    model_size: str = ""
    variation: dict = field(default_factory=dict)

    @property
    def reference_mean(self) -> float:
        return mean(self.reference_values)

    @property
    def reference_std(self) -> float:
        return pstdev(self.reference_values)

    def passes(self, value: float) -> bool:
        if value != value:  # NaN never passes
            return False
        return value >= self.bound if self.higher_is_better else value <= self.bound

    def describe_budget(self) -> str:
        """The budget in words: "25 s of CPU, for the template's sizes: ..."."""
        return f"{self.cpu_budget_s:g} s of CPU" + (f", for {self.model_size}" if self.model_size else "")

    def describe(self) -> str:
        op = ">=" if self.higher_is_better else "<="
        over = (f"{len(self.seeds)} draws and {len(self.variation)} harmless variations"
                if self.variation else f"{len(self.seeds)} seeds")
        return (
            f"{self.metric} {op} {self.bound:.6g} (reference {self.reference_mean:.6g} "
            f"+/- {self.reference_std:.2g} over {over}, margin {self.margin:.0%}, "
            f"{self.dataset})"
        )


def derived_bound(values, higher_is_better: bool, margin: float, slack: float = 0.0) -> float:
    """The worst of `values` with the relative `margin`, then the absolute `slack`, added on the
    losing side."""
    worst = min(values) if higher_is_better else max(values)
    return worst * (1 - margin) - slack if higher_is_better else worst * (1 + margin) + slack


def calibrate(
    metric: str,
    values_by_seed: dict[int, float],
    *,
    higher_is_better: bool,
    margin: float,
    cpu_budget_s: float,
    settings: dict | None = None,
    dataset: str = "digits",
    grade_seed: int = 0,
    variation: dict[str, dict[int, float]] | None = None,
) -> Threshold:
    """Build a `Threshold` from the reference's value at each calibration seed (or secret
    draw) and, when given, its values under harmless variations ({what: {seed: value}}):
    the bound is set from the worst of them all."""
    if len(values_by_seed) < 5:
        raise ValueError("calibrate a threshold over at least 5 seeds")
    seeds = tuple(sorted(values_by_seed))
    values = tuple(float(values_by_seed[s]) for s in seeds)
    variation = {what: {int(s): float(v) for s, v in sorted(by_seed.items())}
                 for what, by_seed in (variation or {}).items()}
    every = values + tuple(v for by_seed in variation.values() for v in by_seed.values())
    return Threshold(
        metric=metric,
        bound=derived_bound(every, higher_is_better, margin),
        higher_is_better=higher_is_better,
        reference_values=values,
        seeds=seeds,
        margin=margin,
        cpu_budget_s=cpu_budget_s,
        grade_seed=grade_seed,
        settings=dict(settings or {}),
        dataset=dataset,
        variation=variation,
    )


def with_model_size(table: dict, model_size: str) -> dict:
    """Every threshold of a calibrated table with `model_size` declared (kept outside the table
    that calibrate.py writes, so a recalibration keeps it). `table`: {name: Threshold}, or
    {dataset: {name: Threshold}}."""
    return {key: replace(value, model_size=model_size) if isinstance(value, Threshold)
            else with_model_size(value, model_size) for key, value in table.items()}


def format_table(thresholds: dict[str, Threshold]) -> str:
    """A markdown table of an assignment's thresholds, for docs and calibrate scripts."""
    lines = [
        "| check | metric | bound | reference mean +/- std | seeds | margin | CPU budget |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, t in thresholds.items():
        op = ">=" if t.higher_is_better else "<="
        lines.append(
            f"| {name} | {t.metric} | {op} {t.bound:.4g} | {t.reference_mean:.4g} +/- "
            f"{t.reference_std:.2g} | {len(t.seeds)} | {t.margin:.0%} | {t.cpu_budget_s:g} s |"
        )
    return "\n".join(lines)


# ----------------------------------------------------------------- tables as Python source

# The markers around a table that holds one entry per data set (see `write_dataset_table`).
TABLE_BEGIN = "# BEGIN CALIBRATED TABLE (written by calibrate.py --write)"
TABLE_END = "# END CALIBRATED TABLE"
_FIELDS = ("metric", "bound", "higher_is_better", "reference_values", "seeds", "margin",
           "cpu_budget_s", "grade_seed", "settings", "dataset", "variation")


def quoted(text: str) -> str:
    """`text` in double quotes, as the older tables write their keys and strings."""
    return f'"{text}"'


def _values_literal(t: Threshold, layout: str, inner: str) -> str:
    """The reference values as source: "per_seed" one line a seed with a `# seed` comment,
    "inline" on one line with a trailing comma, "repr" as Python prints the tuple,
    "pformat" wrapped by pprint (continuation lines under the field)."""
    values = t.reference_values
    if layout == "per_seed":
        rows = "".join(f"{inner}    {v!r},  # seed {s}\n" for s, v in zip(t.seeds, values))
        return f"(\n{rows}{inner})"
    if layout == "inline":
        return f"({', '.join(repr(v) for v in values)},)"
    if layout == "repr":
        return repr(values)
    if layout == "pformat":
        return _pformat(values, inner)
    raise ValueError(f"unknown layout of the reference values: {layout!r}")


def _variation_literal(variation: dict, inner: str) -> str:
    """{what: {seed: value}} as source: a line a variation's name, a line a value."""
    lines = ["{\n"]
    for what, by_seed in variation.items():
        lines.append(f"{inner}    {what!r}: {{\n")
        lines += [f"{inner}        {seed!r}: {value!r},\n" for seed, value in by_seed.items()]
        lines.append(f"{inner}    }},\n")
    return "".join(lines) + f"{inner}}}"


def _pformat(value, inner: str) -> str:
    return pprint.pformat(value, width=88, sort_dicts=False).replace("\n", "\n" + inner)


def threshold_literal(t: Threshold, indent: str = "    ", *, values: str = "pformat",
                      **sources: str) -> str:
    """`Threshold(...)` as source, one field a line, closing at `indent`.

    values: the layout of `reference_values` (see `_values_literal`).
    sources: a field's source text in place of its value, e.g. metric="METRIC",
        settings="dict(SETTINGS)", dataset=quoted(t.dataset). Without one, settings is
        pprint-formatted, variation written a value a line (and left out when empty) and
        every other field is its repr.
    """
    inner = indent + "    "
    sources = {"reference_values": _values_literal(t, values, inner),
               "settings": _pformat(t.settings, inner),
               "variation": _variation_literal(t.variation, inner), **sources}
    lines = []
    for name in _FIELDS:  # not model_size: it is declared outside the table (with_model_size)
        if name == "variation" and not t.variation:  # calibrated over seeds alone: as before
            continue
        source = sources[name] if name in sources else repr(getattr(t, name))
        lines.append(f"{inner}{name}={source},\n")
    return f"Threshold(\n{''.join(lines)}{indent})"


def table_literal(thresholds: dict[str, Threshold], header: str = "THRESHOLDS = {", *,
                  key=repr, values: str = "inline", sources=None) -> str:
    """`header` and one `key(name): Threshold(...)` entry a check, closed by "}".

    sources(name, t) -> {field: source text} for `threshold_literal`, per entry.
    """
    lines = [header]
    for name, t in thresholds.items():
        extra = sources(name, t) if sources else {}
        lines.append(f"    {key(name)}: {threshold_literal(t, values=values, **extra)},")
    lines.append("}")
    return "\n".join(lines)


def rewrite_from(text: str, line_start: str, tail: str) -> str:
    """`text` up to its first line that begins with `line_start`, then `tail` and a newline; then,
    where a later line begins with TABLE_END, that line and all after it (what is declared beside
    the table, such as its MODEL_SIZE, survives a recalibration)."""
    found = re.search("(?m)^" + re.escape(line_start), text)
    if not found:
        raise RuntimeError(f"no line begins with {line_start!r}")
    end = re.compile("(?m)^" + re.escape(TABLE_END)).search(text, found.end())
    return text[:found.start()] + tail + "\n" + (text[end.start():] if end else "")


def set_constant(text: str, name: str, value) -> str:
    """Every line `name = ...` of `text` set to `name = repr(value)`."""
    return re.sub(rf"(?m)^{re.escape(name)} = .*$", lambda _: f"{name} = {value!r}", text)


def dataset_table_literal(by_dataset: dict[str, dict[str, Threshold]]) -> str:
    """The CALIBRATED TABLE block (markers included): one table a data set."""
    lines = [TABLE_BEGIN, "THRESHOLDS_BY_DATASET: dict[str, dict[str, Threshold]] = {"]
    for dataset, table in by_dataset.items():
        lines.append(f"    {dataset!r}: {{")
        for name, t in table.items():
            lines.append(f"        {name!r}: {threshold_literal(t, '        ')},")
        lines.append("    },")
    lines += ["}", TABLE_END]
    return "\n".join(lines)


def write_dataset_table(path: Path, existing: dict, dataset: str,
                        table: dict[str, Threshold]) -> None:
    """Put `table` in as `dataset`'s entry of the CALIBRATED TABLE block of the file at
    `path`, merged over that data set's `existing` checks; the other data sets are kept
    ("digits" first, the rest by name)."""
    by_dataset = {k: v for k, v in existing.items() if k != dataset}
    by_dataset[dataset] = {**existing.get(dataset, {}), **table}
    by_dataset = dict(sorted(by_dataset.items(), key=lambda kv: (kv[0] != "digits", kv[0])))
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(TABLE_BEGIN) + r".*?" + re.escape(TABLE_END), re.S)
    if not pattern.search(text):
        raise RuntimeError(f"{path} has no CALIBRATED TABLE block")
    text = pattern.sub(lambda _: dataset_table_literal(by_dataset), text, count=1)
    path.write_text(text, encoding="utf-8")
