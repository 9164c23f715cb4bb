"""What the assignments' calibrate.py scripts share.

A calibrate script retrains the reference solution over several seeds, turns each
check's values into a `Threshold` (`graders.engine.thresholds.calibrate`), prints the
table and, with `--write`, rewrites the table in the assignment's thresholds.py (the
writers are in `graders.engine.thresholds`). With `--mutants` it also reports how the
buggy and unusual submissions of `graders/assignments/<assignment>/slips.py` fare at the grade seed.

Two kinds of script use this:
- one table (numpy and most torch assignments): `script_arguments`, `over_seeds`,
  `print_tables`, `report_mutants`, `write_and_report`;
- one table per data set ("digits", "mnist:PATH": autoencoders_torch, vae_torch,
  gan_torch), whose thresholds module holds TASKS / METRIC_KEYS / METRICS / MARGINS /
  CPU_BUDGET_S / DATA / SETTINGS: `load_calibration_data`, `calibrate_task_checks`,
  `calibrate_check` and `dataset_main`.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

from .secret import CourseSecret, fixed_secret
from .thresholds import Threshold, calibrate, format_table, write_dataset_table

REPO = Path(__file__).resolve().parents[2]
DATASET_SEEDS = (0, 1, 2, 3, 4)  # the per-data-set scripts' default: the fewest `calibrate` takes


def load_reference(assignment_id: str):
    """The reference module `reference/{numpy,torch}/<assignment_id>.py`, loaded by path
    (not imported as a package module) as the sandbox loads a submission."""
    for folder in ("numpy", "torch"):
        path = REPO / "reference" / folder / f"{assignment_id}.py"
        if path.exists():
            break
    else:
        raise FileNotFoundError(f"no reference solution of {assignment_id!r}")
    spec = importlib.util.spec_from_file_location(f"{assignment_id}_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference_variant(assignment_id: str, edits: tuple[tuple[str, str], ...]):
    """The reference module with each (old, new) text replacement applied (`old` must occur
    exactly once), loaded by path like `load_reference`."""
    reference = load_reference(assignment_id)
    source = Path(reference.__file__).read_text(encoding="utf-8")
    for old, new in edits:
        if source.count(old) != 1:
            raise ValueError(f"{old!r} occurs {source.count(old)} times in the reference of {assignment_id}")
        source = source.replace(old, new)
    module = type(reference)(f"{assignment_id}_variant")
    module.__file__ = reference.__file__
    exec(compile(source, f"<{assignment_id} variant>", "exec"), module.__dict__)
    return module


# ----------------------------------------------------------------- secret draws, variations

def calibration_secret(assignment_id: str, draw: int) -> CourseSecret:
    """The course secret of calibration draw `draw`: a trained check whose seeds and data come
    from the course secret is calibrated over several such draws, since a course's own secret
    may give any of them."""
    return fixed_secret(f"calibration draw {draw}", assignment_id)


@dataclass(frozen=True)
class Variation:
    """A harmless variation of the reference: a correct program whose arithmetic differs
    from the reference's only in rounding, which a trained bound must pass too.

    name: what is varied, as the threshold's declaration states it.
    edits: exact (old, new) replacements in the reference's source (`reference_variant`),
        e.g. a sum re-associated or the arithmetic of an update in another order.
    perturb: when not 0, the calibration script multiplies the inputs (or, where the inputs
        are not floats, the initial parameters) by 1 + perturb * N(0, 1) (`perturbed`).
    """

    name: str
    edits: tuple[tuple[str, str], ...] = ()
    perturb: float = 0.0

    def module(self, assignment_id: str):
        return reference_variant(assignment_id, self.edits)

    def train_with_perturbed_init(self, assignment_id: str):
        """The variant's `train`, its `init_params` perturbed when `perturb` is set: for
        assignments whose inputs are ints or text, where only the parameters can move."""
        module = self.module(assignment_id)
        if self.perturb:
            init = module.init_params
            module.init_params = lambda *args: {k: perturbed(v, self.perturb) for k, v in init(*args).items()}
        return module.train


def perturbed(x, relative: float = 1e-12, seed: int = 0):
    """x * (1 + relative * N(0, 1)) elementwise, float64 (a copy of x when relative is 0): a
    harmless change that must not move a calibrated metric across its bound."""
    import numpy as np

    x = np.asarray(x, dtype=np.float64)
    if not relative:
        return x.copy()
    return x * (1.0 + relative * np.random.default_rng(seed).standard_normal(x.shape))


def timed(fn, *args, **kwargs):
    """(fn(*args, **kwargs), the CPU seconds it took in this process)."""
    start = time.process_time()
    result = fn(*args, **kwargs)
    return result, time.process_time() - start


def over_seeds(seeds, measure, line=None, *, verbose: bool = True) -> dict:
    """{seed: measure(seed)} in the order of `seeds`, printing line(seed, result) as it goes."""
    results = {}
    for seed in seeds:
        results[seed] = measure(seed)
        if verbose and line is not None:
            print(line(seed, results[seed]), flush=True)
    return results


def cpu_summary(cpus, digits: int = 2) -> str:
    """'1.23 s CPU on average, 1.50 s at most'."""
    return f"{mean(cpus):.{digits}f} s CPU on average, {max(cpus):.{digits}f} s at most"


# ----------------------------------------------------------------- one-table scripts


def script_arguments(doc: str, *, margin: float | None = None,
                     mutants: str = "named") -> argparse.ArgumentParser:
    """The parser of a one-table script: --write, --margin (when given a default) and
    --mutants, either "named" (`--mutants [NAME ...]`: all, or those named) or "all"
    (a flag). A script adds its own options to the parser it gets."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite thresholds.py")
    if margin is not None:
        parser.add_argument("--margin", type=float, default=margin)
    if mutants == "named":
        parser.add_argument("--mutants", nargs="*", default=None,
                            help="also report the mutants (all, or those named)")
    elif mutants == "all":
        parser.add_argument("--mutants", action="store_true", help="also report the mutants")
    else:
        raise ValueError(f"mutants is 'named' or 'all', not {mutants!r}")
    return parser


def one_blas_thread(fn, *args):
    """fn(*args) with one BLAS thread: polite on a shared machine, comparable CPU times."""
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    with threadpool_limits(limits=1):
        return fn(*args)


def print_tables(thresholds: dict[str, Threshold], *sections: str) -> None:
    """A blank line and the markdown table, then each section after a blank line."""
    for text in (format_table(thresholds), *sections):
        print()
        print(text)


def write_thresholds(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")


def write_and_report(args, path: Path, render, report) -> int:
    """The end of a one-table script: --write puts render() into `path`; --mutants prints a
    blank line and report(names): the names given, or None for all (also for a flag)."""
    if args.write:
        write_thresholds(path, render())
    if args.mutants is not None and args.mutants is not False:
        print()
        report(None if args.mutants is True else (args.mutants or None))
    return 0


def verdict(threshold: Threshold, value: float) -> str:
    return "pass" if threshold.passes(value) else "FAIL"


def mutant_modules(assignment_id: str, names=None, skip: tuple[str, ...] = (), *,
                   slow: bool = False):
    """(kind, name, module) of each mutant of `graders/assignments/<assignment_id>/slips.py` (needs
    the tests/ tree): kind "MUTANT" or "UNUSUAL"; only those in `names` when given, none
    whose name starts with one of `skip`. slow: the SLOW_MUTANTS too (as "MUTANT", after
    the others)."""
    from tests.mutants import load_module_from_source, reference_path

    lists = importlib.import_module(f"graders.assignments.{assignment_id}.slips")
    source = reference_path(assignment_id).read_text(encoding="utf-8")
    buggy = lists.MUTANTS + (lists.SLOW_MUTANTS if slow else [])
    for kind, mutants in (("MUTANT", buggy), ("UNUSUAL", lists.UNUSUAL)):
        for m in mutants:
            if (names and m.name not in names) or m.name.startswith(tuple(skip)):
                continue
            yield kind, m.name, load_module_from_source(m.apply(source), m.name)


def or_raised(prefix: str, fn, limit: int | None = None) -> str:
    """fn() or, when it raises, '<prefix>raised <Error>: <message>' (the message cut to `limit`)."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - a mutant may break in any way
        return f"{prefix}raised {type(exc).__name__}: {str(exc)[:limit]}"


def report_mutants(assignment_id: str, describe, *, names=None, skip: tuple[str, ...] = (),
                   width: int = 45, slow: bool = False) -> None:
    """Print 'KIND name describe(module)' for each mutant (see `mutant_modules`), or what
    it raised."""
    for kind, name, module in mutant_modules(assignment_id, names, skip, slow=slow):
        text = or_raised("", lambda: describe(module))
        print(f"{kind:8s} {name:{width}s} {text}", flush=True)


# ----------------------------------------------------------------- one table per data set


def dataset_arguments(argv, description: str, checks) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--dataset", default="digits", help='"digits" or "mnist:PATH"')
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DATASET_SEEDS))
    parser.add_argument("--checks", nargs="+", choices=list(checks), default=list(checks))
    parser.add_argument("--write", action="store_true", help="rewrite the table in thresholds.py")
    return parser.parse_args(argv)


def load_calibration_data(dataset_spec: str, sizes: dict) -> tuple[str, dict]:
    """(data set name, its splits) for "digits" or "mnist:PATH"; `sizes` is the thresholds
    module's DATA (the subset sizes of each data set)."""
    from graders.data import load_dataset

    name = dataset_spec.split(":", 1)[0]
    return name, load_dataset(dataset_spec, **sizes[name])


def calibrate_check(check: str, values: dict, cpus, *, table, settings: dict, dataset: str,
                    verbose: bool = True) -> Threshold:
    """The Threshold of `check` from its values by seed, with the metric, margin and CPU
    budget of the thresholds module `table`; warns when a run took more than the budget."""
    metric, higher = table.METRICS[check]
    budget = table.CPU_BUDGET_S[check]
    threshold = calibrate(metric, values, higher_is_better=higher, margin=table.MARGINS[check],
                          cpu_budget_s=budget, settings=dict(settings), dataset=dataset)
    if verbose and max(cpus) > budget:
        print(f"WARNING: {check} took {max(cpus):.1f} s CPU > budget {budget} s")
    return threshold


def calibrate_task_checks(tasks, reference, data: dict, dataset: str, checks, seeds, table,
                          details=None, verbose: bool = True) -> dict[str, Threshold]:
    """Calibrate each check on `tasks.task_<table.TASKS[check]>(reference, x_train, x_test,
    seed, **table.SETTINGS[dataset][check])`, comparing result[table.METRIC_KEYS[check]].

    Checks that share a task share its run at each seed. details(result) -> text printed
    before the CPU seconds (e.g. "KL 3.1; ").
    """
    results: dict[tuple[str, int], tuple[dict, float]] = {}  # (task, seed) -> (result, CPU s)
    thresholds = {}
    for check in checks:
        settings = table.SETTINGS[dataset][check]
        values, cpus = {}, []
        for seed in seeds:
            key = (table.TASKS[check], seed)
            if key not in results:
                results[key] = timed(getattr(tasks, f"task_{key[0]}"), reference,
                                     x_train=data["x_train"], x_test=data["x_test"], seed=seed,
                                     **settings)
            result, cpu = results[key]
            values[seed] = result[table.METRIC_KEYS[check]]
            cpus.append(cpu)
            if verbose:
                extra = details(result) if details else ""
                print(f"{check} seed {seed}: {values[seed]:.6g} ({extra}{cpu:.1f} s CPU)", flush=True)
        thresholds[check] = calibrate_check(check, values, cpus, table=table, settings=settings,
                                            dataset=dataset, verbose=verbose)
    return thresholds


def dataset_main(argv, doc: str, table, checks, run) -> int:
    """The command line of a per-data-set script: run(dataset_spec, seeds, checks) ->
    (data set name, {check: Threshold}); --write puts it into `table`'s file."""
    args = dataset_arguments(argv, doc.split("\n\n")[0], checks)
    name, thresholds = run(args.dataset, tuple(args.seeds), args.checks)
    print_tables(thresholds)
    if args.write:
        write_dataset_table(Path(table.__file__), table.THRESHOLDS_BY_DATASET, name, thresholds)
        print(f"\nwrote the {name!r} table to {table.__file__}")
    return 0


# ----------------------------------------------------------------- secret draws and harmless variation


def secret_draws(assignment_id: str, n: int = 5) -> dict[int, "CourseSecret"]:
    """{draw: CourseSecret} of `n` known secrets: a trained check's seed and held-out rows
    come from the course secret, so a bound is calibrated over several secrets' draws."""
    if n < 5:
        raise ValueError("calibrate over at least 5 secret draws")
    return {i: calibration_secret(assignment_id, i) for i in range(n)}


def worst_per_draw(values: dict, higher_is_better: bool) -> dict:
    """{draw: the worst value over its variations} from {(draw, variation): value}: the
    values `calibrate` takes, so that the bound has its margin below every variation."""
    by_draw: dict = {}
    for (draw, _), value in values.items():
        by_draw.setdefault(draw, []).append(float(value))
    pick = min if higher_is_better else max
    return {draw: pick(v) for draw, v in by_draw.items()}


def variation_note(variations, draws) -> str:
    """The calibration's variation in words, for a threshold's settings."""
    return (f"{len(draws)} course-secret draws (seed and held-out rows) x {len(variations)} variations: "
            + "; ".join(variations) + "; the reference value of each draw is the worst of its variations")


def unusual_variant(assignment_id: str, name: str):
    """The correct-but-unusual submission `name` of graders/assignments/<assignment_id>/slips.py (UNUSUAL
    or SLOW_UNUSUAL), loaded as a module: a variation a bound must hold over (needs the
    tests/ tree, as `--mutants` does)."""
    from tests.mutants import load_module_from_source, reference_path

    lists = importlib.import_module(f"graders.assignments.{assignment_id}.slips")
    found = [m for m in lists.UNUSUAL + getattr(lists, "SLOW_UNUSUAL", []) if m.name == name]
    if len(found) != 1:
        raise ValueError(f"no unusual submission {name!r} of {assignment_id}")
    source = reference_path(assignment_id).read_text(encoding="utf-8")
    return load_module_from_source(found[0].apply(source), name)
