"""Calibrate the trained-model bounds of `autoencoders_torch` on the reference solution.

    python -m graders.assignments.autoencoders_torch.calibrate                    # digits, print
    python -m graders.assignments.autoencoders_torch.calibrate --write            # rewrite the table
    python -m graders.assignments.autoencoders_torch.calibrate --dataset mnist:PATH --write

Runs the sandbox tasks (`tasks.py`) directly on the reference module, with the settings of
`thresholds.py`, over SEEDS (>= 5), and derives each bound with
`graders.engine.thresholds.calibrate` (worst reference value plus the check's margin).
`--write` replaces this data set's entry in the CALIBRATED TABLE block of thresholds.py and
keeps the other data sets' entries.

The helpers `load_reference`, `render_table` and `write_table` are shared by the
calibrate scripts of vae_torch and gan_torch.
"""

from __future__ import annotations

import argparse
import importlib.util
import pprint
import re
import sys
import time
from pathlib import Path

import torch

from graders.engine.thresholds import Threshold, calibrate, format_table

SEEDS = (0, 1, 2, 3, 4)
REPO = Path(__file__).resolve().parents[3]
BEGIN = "# BEGIN CALIBRATED TABLE (written by calibrate.py --write)"
END = "# END CALIBRATED TABLE"


def load_reference(assignment_id: str):
    """The reference module `reference/torch/<assignment_id>.py`, loaded by path."""
    path = REPO / "reference" / "torch" / f"{assignment_id}.py"
    spec = importlib.util.spec_from_file_location(f"{assignment_id}_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _threshold_literal(t: Threshold, indent: str) -> str:
    inner = indent + "    "
    def literal(value):
        return pprint.pformat(value, width=88, sort_dicts=False).replace("\n", "\n" + inner)

    fields = [
        ("metric", repr(t.metric)),
        ("bound", repr(t.bound)),
        ("higher_is_better", repr(t.higher_is_better)),
        ("reference_values", literal(t.reference_values)),
        ("seeds", repr(t.seeds)),
        ("margin", repr(t.margin)),
        ("cpu_budget_s", repr(t.cpu_budget_s)),
        ("grade_seed", repr(t.grade_seed)),
        ("settings", literal(t.settings)),
        ("dataset", repr(t.dataset)),
    ]
    body = "".join(f"{inner}{k}={v},\n" for k, v in fields)
    return f"Threshold(\n{body}{indent})"


def render_table(by_dataset: dict[str, dict[str, Threshold]]) -> str:
    """The CALIBRATED TABLE block (markers included) as Python literals."""
    lines = [BEGIN, "THRESHOLDS_BY_DATASET: dict[str, dict[str, Threshold]] = {"]
    for dataset, table in by_dataset.items():
        lines.append(f"    {dataset!r}: {{")
        for name, t in table.items():
            lines.append(f"        {name!r}: {_threshold_literal(t, '        ')},")
        lines.append("    },")
    lines += ["}", END]
    return "\n".join(lines)


def write_table(thresholds_path: Path, existing: dict, dataset: str,
                table: dict[str, Threshold]) -> None:
    """Replace `dataset`'s entry of the table in thresholds.py, keeping the others."""
    by_dataset = {k: v for k, v in existing.items() if k != dataset}
    merged = dict(existing.get(dataset, {}))
    merged.update(table)
    by_dataset[dataset] = merged
    by_dataset = dict(sorted(by_dataset.items(), key=lambda kv: (kv[0] != "digits", kv[0])))
    text = thresholds_path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise RuntimeError(f"{thresholds_path} has no CALIBRATED TABLE block")
    text = pattern.sub(lambda _: render_table(by_dataset), text, count=1)
    thresholds_path.write_text(text, encoding="utf-8")


def parse_args(argv, description: str, checks) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--dataset", default="digits", help='"digits" or "mnist:PATH"')
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--checks", nargs="+", choices=list(checks), default=list(checks))
    parser.add_argument("--write", action="store_true", help="rewrite the table in thresholds.py")
    return parser.parse_args(argv)


def run(dataset_spec: str = "digits", seeds=SEEDS, checks=None, verbose: bool = True):
    """Calibrate `checks` (all by default); returns (dataset name, {check: Threshold})."""
    from dlgrade.data.mnist import load_dataset

    from . import tasks
    from .thresholds import CPU_BUDGET_S, DATA, MARGINS, METRIC_KEYS, METRICS, SETTINGS, TASKS

    torch.set_num_threads(1)
    name = dataset_spec.split(":", 1)[0]
    data = load_dataset(dataset_spec, **DATA[name])
    ref = load_reference("autoencoders_torch")
    checks = list(checks or TASKS)
    results: dict[tuple[str, int], dict] = {}  # (task, seed) -> result, shared across checks
    table = {}
    for check in checks:
        settings = SETTINGS[name][check]
        values, cpu = {}, []
        for seed in seeds:
            key = (TASKS[check], seed)
            if key not in results:
                fn = getattr(tasks, f"task_{TASKS[check]}")
                start = time.process_time()
                results[key] = fn(ref, x_train=data["x_train"], x_test=data["x_test"],
                                  seed=seed, **settings)
                results[key]["task_cpu_s"] = time.process_time() - start
            values[seed] = results[key][METRIC_KEYS[check]]
            cpu.append(results[key]["task_cpu_s"])
            if verbose:
                print(f"{check} seed {seed}: {values[seed]:.6g} ({cpu[-1]:.1f} s CPU)", flush=True)
        metric, higher = METRICS[check]
        table[check] = calibrate(metric, values, higher_is_better=higher, margin=MARGINS[check],
                                 cpu_budget_s=CPU_BUDGET_S[check], settings=dict(settings),
                                 dataset=name)
        if verbose and max(cpu) > CPU_BUDGET_S[check]:
            print(f"WARNING: {check} took {max(cpu):.1f} s CPU > budget {CPU_BUDGET_S[check]} s")
    return name, table


def main(argv=None) -> int:
    from . import thresholds
    from .thresholds import TASKS

    args = parse_args(argv, __doc__.split("\n\n")[0], TASKS)
    name, table = run(args.dataset, tuple(args.seeds), args.checks)
    print()
    print(format_table(table))
    if args.write:
        write_table(Path(thresholds.__file__), thresholds.THRESHOLDS_BY_DATASET, name, table)
        print(f"\nwrote the {name!r} table to {thresholds.__file__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
