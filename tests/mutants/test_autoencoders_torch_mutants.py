"""Every autoencoders_torch MUTANT is a real slip; every UNUSUAL submission matches the reference."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from tests.mutants import load_module_from_source, reference_path
from tests.mutants.autoencoders_torch import MUTANTS, UNUSUAL

torch.set_num_threads(1)  # tiny tensors: threads only add overhead on a shared machine
SOURCE = reference_path("autoencoders_torch").read_text(encoding="utf-8")
CONTRACT = ("DenseAutoencoder", "ConvAutoencoder", "add_noise", "l1_activity_penalty")


def _np(t):
    return t.detach().double().numpy().copy()


def probe(mod) -> dict[str, object]:
    """What every contract object returns on fixed small float64 inputs."""
    torch.manual_seed(123)  # a submission that ignores the generator draws from here
    rng = np.random.default_rng(0)
    out: dict[str, object] = {}

    def record(name, fn):
        try:
            out[name] = fn()
        except Exception as exc:  # a crash is a change of behaviour too
            out[name] = f"raised {type(exc).__name__}"

    x = torch.tensor(rng.uniform(size=(5, 6)))

    def dense():
        torch.manual_seed(0)
        model = mod.DenseAutoencoder(6, 3).double()
        return {"code": _np(model.encode(x)), "x_hat": _np(model(x)),
                "n_params": sum(p.numel() for p in model.parameters())}

    record("DenseAutoencoder", dense)

    def conv_values():
        torch.manual_seed(0)
        model = mod.ConvAutoencoder(in_channels=1).double()
        return {f"{s}": _np(model(torch.tensor(rng.uniform(size=(2, 1, s, s))))) for s in (8, 28)}

    def conv_shapes():
        shapes = {}
        for shape in ((2, 1, 7, 7), (1, 1, 15, 13), (1, 2, 5, 9), (1, 3, 8, 8)):
            torch.manual_seed(0)
            y = mod.ConvAutoencoder(in_channels=shape[1]).double()(torch.rand(*shape, dtype=torch.float64))
            shapes[f"{shape}"] = list(y.shape)
            shapes[f"{shape} in [0, 1]"] = bool(y.min() >= 0 and y.max() <= 1)
        return shapes

    record("ConvAutoencoder:values", conv_values)
    record("ConvAutoencoder:shapes", conv_shapes)

    def noise():
        xin = torch.tensor(rng.uniform(size=(4, 5)))
        before = xin.clone()
        noisy = mod.add_noise(xin, 0.3, torch.Generator().manual_seed(0))
        return {"noisy": _np(noisy), "input after": _np(xin), "unchanged": bool(torch.equal(xin, before))}

    record("add_noise", noise)

    def penalty():
        code = torch.tensor(rng.normal(size=(4, 3))).requires_grad_(True)
        value = mod.l1_activity_penalty(code, 0.1)
        value.backward()
        return {"value": _np(value), "shape": list(value.shape), "grad": _np(code.grad)}

    record("l1_activity_penalty", penalty)
    return out


def _same(a, b, tol: float) -> bool:
    """Deep comparison of probe values: dicts, lists, arrays, numbers, strings."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)) or set(a) != set(b):
            return False
        return all(_same(a[k], b[k], tol) for k in a)
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape or not np.array_equal(np.isfinite(x), np.isfinite(y)):
        return False
    return bool(np.allclose(x, y, rtol=tol, atol=tol, equal_nan=True))


REFERENCE = probe(load_module_from_source(SOURCE, "autoencoders_torch_reference"))


def test_reference_probe_is_clean():
    assert not any(isinstance(v, str) for v in REFERENCE.values()), REFERENCE
    assert REFERENCE["DenseAutoencoder"]["n_params"] == 2 * 6 * 3 + 3 + 6
    assert REFERENCE["add_noise"]["unchanged"]
    shapes = REFERENCE["ConvAutoencoder:shapes"]
    assert shapes["(2, 1, 7, 7)"] == [2, 1, 7, 7] and shapes["(1, 1, 15, 13)"] == [1, 1, 15, 13]


def test_mutant_names_are_unique():
    names = [m.name for m in MUTANTS + UNUSUAL]
    assert len(names) == len(set(names))


@functools.lru_cache(maxsize=None)
def _probe_mutant(mutant) -> dict[str, object]:
    return probe(load_module_from_source(mutant.apply(SOURCE), mutant.name))


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_changes_some_contract_output(mutant):
    changed = [k for k, v in _probe_mutant(mutant).items() if not _same(v, REFERENCE[k], 1e-6)]
    assert changed, f"{mutant.name} behaves like the reference on every probe"


@pytest.mark.parametrize("mutant", UNUSUAL, ids=lambda m: m.name)
def test_unusual_matches_reference(mutant):
    changed = [k for k, v in _probe_mutant(mutant).items() if not _same(v, REFERENCE[k], 1e-10)]
    assert not changed, f"{mutant.name} differs from the reference on {changed}"


def test_every_contract_object_has_a_mutant():
    hit = {k.split(":")[0] for m in MUTANTS for k, v in _probe_mutant(m).items()
           if not _same(v, REFERENCE[k], 1e-6)}
    assert set(CONTRACT) <= hit, set(CONTRACT) - hit


# ----------------------------------------------------------------------------------------
# The calibrated trained bounds under the suite's course secret (slow: each run trains).

FAILS_TRAINED_BOUND = {
    "l1_summed_over_the_batch": "sparse_reconstruction",
    "dense_forward_returns_the_code": "dense_reconstruction",
}


def _trained_value(mod, check):
    """The check's metric for `mod`, measured as a grade does (secret draw of the suite's
    secret, encode and decode in turn, the metric in the grader), tasks run in this process."""
    from dlgrade.data.mnist import load_dataset
    from graders.assignments.autoencoders_torch.calibrate import in_process_measure
    from graders.assignments.autoencoders_torch.thresholds import (METRIC_KEYS, SETTINGS, TASKS,
                                                                   THRESHOLDS)
    from graders.engine.secret import CourseSecret, load_course_secret

    data = load_dataset("digits")
    bound = THRESHOLDS[check]
    secret = CourseSecret(load_course_secret(), "autoencoders_torch")
    try:
        r = in_process_measure(TASKS[check], SETTINGS["digits"][check], data, secret, mod)
    except Exception:
        return bound, float("nan")
    return bound, r[METRIC_KEYS[check]]


@pytest.mark.slow
@pytest.mark.parametrize("mutant", [m for m in MUTANTS if m.name in FAILS_TRAINED_BOUND],
                         ids=lambda m: m.name)
def test_trained_bound_rejects_broken_training(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    bound, value = _trained_value(mod, FAILS_TRAINED_BOUND[mutant.name])
    assert not bound.passes(value), (mutant.name, value, bound.describe())


@pytest.mark.slow
@pytest.mark.parametrize("mutant", [m for m in UNUSUAL if m.name.startswith(("dense", "add_noise", "l1"))],
                         ids=lambda m: m.name)
def test_trained_bounds_accept_unusual_submissions(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    prefix_to_check = {"dense": "dense_reconstruction", "add_noise": "denoising_ratio",
                       "l1": "sparse_reconstruction"}
    check = next(c for p, c in prefix_to_check.items() if mutant.name.startswith(p))
    bound, value = _trained_value(mod, check)
    assert bound.passes(value), (mutant.name, value, bound.describe())
