"""Calibrate the trained-model bound of `sparse_autoencoder` on the reference solution.

    python -m graders.assignments.sparse_autoencoder.calibrate            # print the table
    python -m graders.assignments.sparse_autoencoder.calibrate --write    # also rewrite thresholds.py
    python -m graders.assignments.sparse_autoencoder.calibrate --mutants  # and grade the mutants

The grader prepares 8x8 patches of the two scikit-learn sample photos with the reference
pipeline (`patch_data`), runs the submission's `train` with `SETTINGS` at seed
`grade_seed`, and measures the held-out cost J of the returned parameters with the
REFERENCE `cost` (so a wrong `cost` in the submission cannot flatter its own result).
This script does the same with the reference `train` over `SEEDS` and sets the bound to
the worst reference value times (1 + MARGIN).

For comparison it prints the held-out cost of the untrained network (`init_params`) and
of the "plateau" (every hidden unit at rho, no weights, X_hat = the mean training patch),
which a training loop that never gets going ends near.
"""

from __future__ import annotations

import argparse
import functools
import pprint
import sys
import time
from pathlib import Path

import numpy as np

from graders.engine.thresholds import Threshold, calibrate, format_table

from .thresholds import CHECK, METRIC, SETTINGS

SEEDS = tuple(range(10))
MARGIN = 0.05
CPU_BUDGET_S = 20.0


@functools.lru_cache(maxsize=4)
def _patch_data(items: tuple) -> tuple[np.ndarray, np.ndarray]:
    from dlgrade.data import load_sample_photos
    from reference.numpy import sparse_autoencoder as ref

    s = dict(items)
    gray = ref.to_grayscale(load_sample_photos())
    X_train = ref.normalize_patches(ref.sample_patches(gray, s["patch_size"], s["n_train"], s["train_patch_seed"]))
    X_test = ref.normalize_patches(ref.sample_patches(gray, s["patch_size"], s["n_test"], s["test_patch_seed"]))
    X_train.flags.writeable = False
    X_test.flags.writeable = False
    return X_train, X_test


def patch_data(settings: dict = SETTINGS) -> tuple[np.ndarray, np.ndarray]:
    """(X_train (n_train, p*p), X_test (n_test, p*p)): normalised patches, float64 in [0.1, 0.9]."""
    X_train, X_test = _patch_data(tuple(sorted(settings.items())))
    return X_train.copy(), X_test.copy()


def reference_cost(params: dict, X: np.ndarray, settings: dict = SETTINGS) -> float:
    """The reference `cost` (the value only) with the settings' rho, beta and lam."""
    from reference.numpy import sparse_autoencoder as ref

    params = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    with np.errstate(all="ignore"):
        J, _ = ref.cost(params, X, settings["rho"], settings["beta"], settings["lam"])
    return float(J)


def plateau_cost(settings: dict = SETTINGS) -> float:
    """Held-out cost of W = 0, every hidden unit at rho, X_hat = mean training patch."""
    X_train, X_test = patch_data(settings)
    mean = X_train.mean(axis=0)
    rho = settings["rho"]
    params = {"W": np.zeros((X_train.shape[1], settings["n_hidden"])),
              "b_h": np.full(settings["n_hidden"], np.log(rho / (1 - rho))),
              "b_v": np.log(mean / (1 - mean))}
    return reference_cost(params, X_test, settings)


def held_out_cost(train_fn, seed: int, settings: dict = SETTINGS) -> tuple[float, float, float]:
    """Train with `train_fn` (a contract `train`) and return
    (held-out cost, CPU seconds of training, held-out cost of the reference init at `seed`)."""
    from reference.numpy import sparse_autoencoder as ref

    X_train, X_test = patch_data(settings)
    start = time.process_time()
    params, _history = train_fn(
        X_train,
        settings["n_hidden"],
        settings["rho"],
        settings["beta"],
        settings["lam"],
        settings["lr"],
        settings["epochs"],
        seed,
    )
    cpu = time.process_time() - start
    untrained = reference_cost(ref.init_params(X_train.shape[1], settings["n_hidden"], seed), X_test, settings)
    return reference_cost(params, X_test, settings), cpu, untrained


def run(seeds=SEEDS, margin: float = MARGIN, verbose: bool = True) -> tuple[dict[str, Threshold], dict]:
    """Retrain the reference over `seeds`; return (THRESHOLDS table, extra numbers)."""
    from reference.numpy import sparse_autoencoder as ref

    values, cpus, untrained = {}, [], []
    for seed in seeds:
        values[seed], cpu, u = held_out_cost(ref.train, seed)
        cpus.append(cpu)
        untrained.append(u)
        if verbose:
            print(f"seed {seed}: held-out cost {values[seed]:.6f}  (untrained {u:.4f}; {cpu:.2f} s CPU)")
    extra = {"untrained": float(np.mean(untrained)), "plateau": plateau_cost()}
    if verbose:
        print(f"reference training: {np.mean(cpus):.2f} s CPU on average, {max(cpus):.2f} s at most")
        print(f"untrained network: held-out cost {extra['untrained']:.4f} on average "
              f"({min(untrained):.4f} .. {max(untrained):.4f})")
        print(f"plateau (all hidden units at rho, X_hat = mean patch): held-out cost {extra['plateau']:.6f}")
    threshold = calibrate(
        METRIC,
        values,
        higher_is_better=False,
        margin=margin,
        cpu_budget_s=CPU_BUDGET_S,
        settings=SETTINGS,
        dataset="sample_photos",
        grade_seed=0,
    )
    return {CHECK: threshold}, extra


def render(thresholds: dict[str, Threshold], extra: dict) -> str:
    """thresholds.py with the table written as literals."""
    source = Path(__file__).with_name("thresholds.py").read_text(encoding="utf-8")
    head, _, _ = source.partition("UNTRAINED_COST = ")
    body = [f"UNTRAINED_COST = {round(extra['untrained'], 4)!r}",
            f"PLATEAU_COST = {round(extra['plateau'], 6)!r}", "", "THRESHOLDS = {"]
    for name, t in thresholds.items():
        body.append(f"    {name!r}: Threshold(")
        for field in ("metric", "bound", "higher_is_better", "reference_values", "seeds", "margin",
                      "cpu_budget_s", "grade_seed"):
            value = getattr(t, field)
            if field == "metric":
                body.append("        metric=METRIC,")
            elif isinstance(value, tuple) and value and isinstance(value[0], float):
                body.append(f"        {field}=({', '.join(f'{v!r}' for v in value)},),")
            else:
                body.append(f"        {field}={value!r},")
        body.append("        settings=dict(SETTINGS),")
        body.append(f"        dataset={t.dataset!r},")
        body.append("    ),")
    body.append("}")
    return head + "\n".join(body) + "\n"


def mutant_report(thresholds: dict[str, Threshold], names=None) -> None:
    """Held-out cost at the grade seed of the mutants (needs the tests/ tree)."""
    from tests.mutants import load_module_from_source, reference_path
    from tests.mutants.sparse_autoencoder import MUTANTS, UNUSUAL

    source = reference_path("sparse_autoencoder").read_text(encoding="utf-8")
    bound = thresholds[CHECK]
    for kind, mutants in (("MUTANT", MUTANTS), ("UNUSUAL", UNUSUAL)):
        for m in mutants:
            if names and m.name not in names:
                continue
            mod = load_module_from_source(m.apply(source), m.name)
            try:
                with np.errstate(all="ignore"):
                    value, cpu, _ = held_out_cost(mod.train, bound.grade_seed)
                verdict = "pass" if bound.passes(value) else "FAIL"
                print(f"{kind:8s} {m.name:50s} {value:10.6f} {verdict}  ({cpu:.2f} s CPU)")
            except Exception as exc:
                print(f"{kind:8s} {m.name:50s} raised {type(exc).__name__}: {exc}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite thresholds.py")
    parser.add_argument("--margin", type=float, default=MARGIN)
    parser.add_argument("--mutants", nargs="*", default=None,
                        help="also report the mutants (all, or those named)")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    with threadpool_limits(limits=1):  # one BLAS thread: polite on a shared machine, comparable CPU times
        return _main(args)


def _main(args) -> int:
    thresholds, extra = run(margin=args.margin)
    print()
    print(format_table(thresholds))
    print()
    pprint.pprint(SETTINGS, sort_dicts=False)
    if args.write:
        path = Path(__file__).with_name("thresholds.py")
        path.write_text(render(thresholds, extra), encoding="utf-8")
        print(f"wrote {path}")
    if args.mutants is not None:
        print()
        mutant_report(thresholds, args.mutants or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
