"""The helpers of calibration: retraining the reference to set the trained checks' bounds.

A calibration retrains the reference solution over several course-secret draws and harmless
variations, turns each check's values into a `Threshold` (`graders.engine.thresholds.calibrate`,
with the margin and budget of the check's `TrainedCheck` declaration), prints the table and,
with `--write`, writes the assignment's thresholds.json (`write_calibrations`; read back by
`graders.engine.trained_checks`). With `--mutants` a script also reports how the known slips
of `graders/assignments/<id>/slips.py` fare. The runs of a calibration over secret draws and
variations are in `calibration_runs`; the command line is `dlgrade calibrate`.
"""

from __future__ import annotations

import json
import time
import types
from dataclasses import dataclass, replace
from pathlib import Path
from statistics import mean

from graders.engine.secret import CourseSecret, fixed_secret
from graders.engine.thresholds import Threshold, calibrate, derived_bound
from graders.engine.trained_checks import Calibration, TrainedCheck

def reference_path(assignment_id: str, course=None) -> Path:
    """The reference solution of an assignment (`Assignment.reference`), found in the catalog of
    the bundled course and `course` (a course folder, for a course's own calibrate.py)."""
    from graders.courses import catalog

    return Path(catalog(course).get(assignment_id).reference)


def module_from_source(source: str, name: str, file: str | None = None):
    """`source` executed as a fresh module named `name` (its __file__ set to `file`)."""
    module = types.ModuleType(name)
    if file:
        module.__file__ = file
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def load_reference(assignment_id: str, course=None):
    """The reference module, loaded by path (not imported as a package module) as the sandbox
    loads a submission."""
    path = reference_path(assignment_id, course)
    return module_from_source(path.read_text(encoding="utf-8"), f"{assignment_id}_reference", str(path))


def reference_variant(assignment_id: str, edits, name: str | None = None, *, once: bool = True, course=None):
    """The reference module with each (old, new) text replacement applied: a harmless variation,
    loaded like `load_reference`. `old` must occur exactly once, or (once=False) at least once,
    every occurrence replaced."""
    path = reference_path(assignment_id, course)
    source = path.read_text(encoding="utf-8")
    for old, new in edits:
        if source.count(old) != 1 and (once or not source.count(old)):
            raise ValueError(f"{old[:60]!r} occurs {source.count(old)} times in the reference of {assignment_id}")
        source = source.replace(old, new)
    return module_from_source(source, name or f"{assignment_id}_variant", str(path))


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


# ----------------------------------------------------------------- the known slips, CPU


def one_blas_thread(fn, *args):
    """fn(*args) with one BLAS thread: polite on a shared machine, comparable CPU times."""
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    with threadpool_limits(limits=1):
        return fn(*args)


def verdict(threshold: Threshold, value: float) -> str:
    return "pass" if threshold.passes(value) else "FAIL"


def slips_module(assignment_id: str, course=None):
    """The known slips of an assignment: the slips.py of its folder, found in the catalog of the
    bundled course and `course`."""
    from graders.courses import catalog

    found = catalog(course).slips(assignment_id)
    if found is None:
        raise ValueError(f"{assignment_id} has no slips.py")
    return found


def mutant_modules(assignment_id: str, names=None, skip: tuple[str, ...] = (), *,
                   slow: bool = False, course=None):
    """(kind, name, module) of each slip of `graders/assignments/<assignment_id>/slips.py`:
    kind "MUTANT" or "UNUSUAL"; only those in `names` when given, none whose name starts with
    one of `skip`. slow: the SLOW_MUTANTS too (as "MUTANT", after the others)."""
    lists = slips_module(assignment_id, course)
    source = reference_path(assignment_id, course).read_text(encoding="utf-8")
    buggy = lists.MUTANTS + (getattr(lists, "SLOW_MUTANTS", []) if slow else [])
    for kind, mutants in (("MUTANT", buggy), ("UNUSUAL", lists.UNUSUAL)):
        for m in mutants:
            if (names and m.name not in names) or m.name.startswith(tuple(skip)):
                continue
            yield kind, m.name, module_from_source(m.apply(source), m.name)


def or_raised(prefix: str, fn, limit: int | None = None) -> str:
    """fn() or, when it raises, '<prefix>raised <Error>: <message>' (the message cut to `limit`)."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - a mutant may break in any way
        return f"{prefix}raised {type(exc).__name__}: {str(exc)[:limit]}"


def report_mutants(assignment_id: str, describe, *, names=None, skip: tuple[str, ...] = (),
                   width: int = 45, slow: bool = False, course=None) -> None:
    """Print 'KIND name describe(module)' for each mutant (see `mutant_modules`), or what
    it raised."""
    for kind, name, module in mutant_modules(assignment_id, names, skip, slow=slow, course=course):
        text = or_raised("", lambda: describe(module))
        print(f"{kind:8s} {name:{width}s} {text}", flush=True)


# ----------------------------------------------------------------- declared checks, thresholds.json


def load_calibration_data(dataset_spec: str, check: TrainedCheck) -> tuple[str, dict]:
    """(data set name, its splits) for "digits" or "mnist:PATH", with the subset sizes the
    declaration `check` states for that data set."""
    from graders.data import load_dataset

    name = dataset_spec.split(":", 1)[0]
    return name, load_dataset(dataset_spec, **check.data.get(name, {}))


def calibrate_declared(check: TrainedCheck, values: dict, cpus, dataset: str, *, variation: dict | None = None,
                       verbose: bool = True) -> Threshold:
    """The Threshold of the declared `check` on `dataset` from the reference's values by run
    (or seed, or draw) and under harmless `variation`s ({what: {draw: value}}), with the declared
    metric, margin, budget and settings; warns when a run took more CPU than the budget."""
    threshold = calibrate(check.metric, values, higher_is_better=check.higher_is_better, margin=check.margin,
                          cpu_budget_s=check.cpu_budget_s, settings=dict(check.settings_for(dataset)), dataset=dataset,
                          variation=variation)
    if check.slack:  # the bound with its absolute slack, and the margin that amounts to
        every = threshold.reference_values + tuple(v for d in threshold.variation.values() for v in d.values())
        bound = derived_bound(every, check.higher_is_better, check.margin, check.slack)
        worst = min(every) if check.higher_is_better else max(every)
        threshold = replace(threshold, bound=bound, margin=abs(bound / worst - 1.0) if worst else float("inf"))
    if verbose and cpus and max(cpus) > check.cpu_budget_s:
        print(f"WARNING: {check.key} took {max(cpus):.1f} s CPU > budget {check.cpu_budget_s} s")
    return threshold


def write_calibrations(path: Path, table: dict[str, Threshold]) -> None:
    """Put `table` ({check key: Threshold}) into the thresholds.json at `path`, each bound as the
    entry of its data set (`Threshold.dataset`), over the other entries; the other checks and
    data sets are kept ("digits" first, the rest by name)."""
    path = Path(path)
    tables = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for key, t in table.items():
        tables[t.dataset] = {**tables.get(t.dataset, {}), key: Calibration.of(t).to_json()}
    tables = dict(sorted(tables.items(), key=lambda kv: (kv[0] != "digits", kv[0])))
    path.write_text(json.dumps(tables, indent=2) + "\n", encoding="utf-8")


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


def unusual_variant(assignment_id: str, name: str, course=None):
    """The correct-but-unusual submission `name` of graders/assignments/<assignment_id>/slips.py
    (UNUSUAL or SLOW_UNUSUAL), loaded as a module: a variation a bound must hold over."""
    lists = slips_module(assignment_id, course)
    found = [m for m in lists.UNUSUAL + getattr(lists, "SLOW_UNUSUAL", []) if m.name == name]
    if len(found) != 1:
        raise ValueError(f"no unusual submission {name!r} of {assignment_id}")
    source = reference_path(assignment_id, course).read_text(encoding="utf-8")
    return module_from_source(found[0].apply(source), name)
