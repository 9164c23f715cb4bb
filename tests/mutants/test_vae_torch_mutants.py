"""Every vae_torch MUTANT is a real slip; every UNUSUAL submission matches the reference."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from tests.mutants import load_module_from_source, reference_path
from tests.mutants.vae_torch import MUTANTS, UNUSUAL

torch.set_num_threads(1)  # tiny tensors: threads only add overhead on a shared machine
SOURCE = reference_path("vae_torch").read_text(encoding="utf-8")
CONTRACT = ("VAE", "VAE.reparameterize", "kl_divergence", "vae_loss")


def _np(t):
    return t.detach().double().numpy().copy()


def probe(mod) -> dict[str, object]:
    """What every contract object returns on fixed small float64 inputs."""
    rng = np.random.default_rng(0)
    out: dict[str, object] = {}

    def record(name, fn):
        try:
            out[name] = fn()
        except Exception as exc:  # a crash is a change of behaviour too
            out[name] = f"raised {type(exc).__name__}"

    x = torch.tensor(rng.uniform(size=(5, 6)))
    z = torch.tensor(rng.normal(size=(5, 2)))

    def vae():
        torch.manual_seed(0)
        model = mod.VAE(6, 2).double()
        mu, logvar = model.encode(x)
        torch.manual_seed(1)
        x_hat, mu_f, logvar_f = model(x)
        return {"mu": _np(mu), "logvar": _np(logvar), "decode": _np(model.decode(z)),
                "forward": [_np(x_hat), _np(mu_f), _np(logvar_f)]}

    record("VAE", vae)

    mu0 = rng.normal(size=(4, 2))
    logvar0 = rng.normal(size=(4, 2))
    eps = torch.tensor(rng.normal(size=(4, 2)))
    weights = torch.tensor(rng.normal(size=(4, 2)))

    def reparameterize():
        torch.manual_seed(0)
        model = mod.VAE(6, 2).double()
        mu = torch.tensor(mu0, requires_grad=True)
        logvar = torch.tensor(logvar0, requires_grad=True)
        zz = model.reparameterize(mu, logvar, eps)
        grads = torch.autograd.grad((zz * weights).sum(), (mu, logvar), allow_unused=True)
        return {"z": _np(zz), "grads": [None if g is None else _np(g) for g in grads]}

    record("VAE.reparameterize", reparameterize)
    record("kl_divergence", lambda: _np(mod.kl_divergence(torch.tensor(mu0), torch.tensor(logvar0))))

    x_hat = torch.tensor(rng.uniform(0.05, 0.95, size=(4, 6)))
    target = torch.tensor(rng.uniform(size=(4, 6)))
    record("vae_loss", lambda: _np(mod.vae_loss(x_hat, target, torch.tensor(mu0), torch.tensor(logvar0))))
    return out


def _same(a, b, tol: float) -> bool:
    """Deep comparison of probe values: dicts, lists, arrays, numbers, strings, None."""
    if a is None or b is None:
        return a is b
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)) or set(a) != set(b):
            return False
        return all(_same(a[k], b[k], tol) for k in a)
    if isinstance(a, list) or isinstance(b, list):
        if not (isinstance(a, list) and isinstance(b, list)) or len(a) != len(b):
            return False
        return all(_same(u, v, tol) for u, v in zip(a, b))
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape or not np.array_equal(np.isfinite(x), np.isfinite(y)):
        return False
    return bool(np.allclose(x, y, rtol=tol, atol=tol, equal_nan=True))


REFERENCE = probe(load_module_from_source(SOURCE, "vae_torch_reference"))


def test_reference_probe_is_clean():
    assert not any(isinstance(v, str) for v in REFERENCE.values()), REFERENCE
    assert REFERENCE["kl_divergence"].shape == (4,) and REFERENCE["vae_loss"].shape == ()


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
    hit = {k for m in MUTANTS for k, v in _probe_mutant(m).items() if not _same(v, REFERENCE[k], 1e-6)}
    assert set(CONTRACT) <= hit, set(CONTRACT) - hit


# ----------------------------------------------------------------------------------------
# The calibrated trained bound under the suite's course secret (slow: each run trains).

FAILS_TRAINED_BOUND = ("vae_loss_bce_mean_over_features", "kl_wrong_sign", "vae_loss_without_kl")
PASSES_TRAINED_BOUND = ("vae_loss_sums_then_divides_by_batch", "kl_torch_distributions",
                        "reparameterize_logvar_clamped_outside_the_tested_range")


def _trained_value(mod):
    """The check's metric for `mod`, measured as a grade does under the suite's course secret
    (tasks run in this process)."""
    from dlgrade.data.mnist import load_dataset
    from graders.assignments.vae_torch.calibrate import in_process_measure
    from graders.assignments.vae_torch.thresholds import METRIC_KEYS, SETTINGS, THRESHOLDS, TASKS
    from graders.engine.secret import CourseSecret, load_course_secret

    data = load_dataset("digits")
    bound = THRESHOLDS["vae_test_loss"]
    secret = CourseSecret(load_course_secret(), "vae_torch")
    try:
        r = in_process_measure(TASKS["vae_test_loss"], SETTINGS["digits"]["vae_test_loss"], data, secret, mod)
    except Exception:
        return bound, float("nan")
    return bound, r[METRIC_KEYS["vae_test_loss"]]


@pytest.mark.slow
@pytest.mark.parametrize("mutant", [m for m in MUTANTS + UNUSUAL
                                    if m.name in FAILS_TRAINED_BOUND + PASSES_TRAINED_BOUND],
                         ids=lambda m: m.name)
def test_trained_bound_separates_broken_from_unusual_training(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    bound, value = _trained_value(mod)
    assert bound.passes(value) == (mutant.name in PASSES_TRAINED_BOUND), (mutant.name, value,
                                                                          bound.describe())
