"""The mutant-probe harness: run a mutated reference module's contract functions on fixed
inputs and compare what comes back with the reference's outputs.

Each assignment with probes has `tests/mutants/probes/<assignment_id>.py` defining:

    probe(module) -> dict        the outputs of the contract on fixed inputs, by key
                                 ("<function>:<what>"); a crash is recorded as "raised <Error>"
    BUGGY, CORRECT               the mutants that must change some output / change none
    CHANGED                      a BUGGY mutant differs from the reference by more than this
    MATCH                        a CORRECT mutant agrees with the reference within this
                                 (default 1e-10)
    INEXACT                      {correct mutant's name: keys where it may legitimately differ}
    CONTRACT                     the contract names every BUGGY mutant together must reach
                                 (None: no coverage test); `contract_name(key)` maps a probe
                                 key to one (default: the text before the first ":")
    check_reference(reference)   what the reference's own probe must show (inputs that reach
                                 every regime, no crash, ...)
    check_correct(got, reference, mutant, module)   the contract's properties a CORRECT
                                 mutant must keep where its values may differ (optional)

`tests/mutants/test_mutant_probes.py` runs the same tests for every assignment from these.
"""

from __future__ import annotations

import functools
import importlib

import numpy as np

from tests.mutants import REPO, load_module_from_source, reference_path

PROBES_DIR = REPO / "tests" / "mutants" / "probes"
_MISSING = object()


def recorder(out: dict):
    """record(name, fn): out[name] = fn(), NumPy's floating-point warnings silenced; an exception
    is recorded as "raised <type>" (a crash is a change of behaviour too)."""

    def record(name, fn):
        try:
            with np.errstate(all="ignore"):
                out[name] = fn()
        except Exception as exc:
            out[name] = f"raised {type(exc).__name__}"

    return record


def same(a, b, tol: float) -> bool:
    """Deep comparison of probe values (dicts, lists, tuples, arrays, numbers, strings, bools,
    None): same structure, same finite entries, and values within `tol` (relative and absolute)."""
    if a is None or b is None or a is _MISSING or b is _MISSING:
        return a is b
    if isinstance(a, (str, bool)) or isinstance(b, (str, bool)):
        return a == b
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)) or set(a) != set(b):
            return False
        return all(same(a[k], b[k], tol) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y, tol) for x, y in zip(a, b))
    try:
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if x.shape != y.shape or not np.array_equal(np.isfinite(x), np.isfinite(y)):
        return False
    return bool(np.allclose(x, y, rtol=tol, atol=tol, equal_nan=True))


def differing_keys(got: dict, reference: dict, tol: float, skip=()) -> list:
    """The probe keys (outside `skip`) where `got` and `reference` differ by more than `tol`."""
    keys = list(reference) + [k for k in got if k not in reference]
    return [k for k in keys if k not in skip
            and not same(got.get(k, _MISSING), reference.get(k, _MISSING), tol)]


def probed_assignments() -> list[str]:
    """The ids of the assignments that have a probe module, sorted."""
    return sorted(p.stem for p in PROBES_DIR.glob("*.py") if p.stem != "__init__")


@functools.lru_cache(maxsize=None)
def spec(assignment_id: str):
    """The probe module of an assignment (tests/mutants/probes/<id>.py)."""
    return importlib.import_module(f"tests.mutants.probes.{assignment_id}")


@functools.lru_cache(maxsize=None)
def source(assignment_id: str) -> str:
    return reference_path(assignment_id).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=None)
def reference_probe(assignment_id: str) -> dict:
    """The probe of the reference module (computed once per process)."""
    module = load_module_from_source(source(assignment_id), f"{assignment_id}_reference")
    return spec(assignment_id).probe(module)


def load_mutant(assignment_id: str, mutant):
    """The mutated reference as a fresh module."""
    return load_module_from_source(mutant.apply(source(assignment_id)), mutant.name)


@functools.lru_cache(maxsize=None)
def mutant_probe(assignment_id: str, mutant) -> dict:
    """The probe of a mutant (computed once per process: the coverage test reuses it)."""
    return spec(assignment_id).probe(load_mutant(assignment_id, mutant))
