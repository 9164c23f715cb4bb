"""Every gan_torch MUTANT is a real slip; every UNUSUAL submission matches the reference."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from tests.mutants import load_module_from_source, reference_path
from tests.mutants.gan_torch import MUTANTS, UNUSUAL

torch.set_num_threads(1)  # tiny tensors: threads only add overhead on a shared machine
SOURCE = reference_path("gan_torch").read_text(encoding="utf-8")
CONTRACT = ("Generator", "Discriminator", "discriminator_loss", "generator_loss", "train_step")


def _np(t):
    return t.detach().double().numpy().copy()


def _params(module):
    return np.concatenate([_np(p).ravel() for p in module.parameters()])


def probe(mod) -> dict[str, object]:
    """What every contract object returns on fixed small float64 inputs."""
    rng = np.random.default_rng(0)
    out: dict[str, object] = {}

    def record(name, fn):
        try:
            out[name] = fn()
        except Exception as exc:  # a crash is a change of behaviour too
            out[name] = f"raised {type(exc).__name__}"

    z = torch.tensor(rng.normal(size=(5, 3)))
    x = torch.tensor(rng.uniform(size=(5, 6)))

    def generator():
        torch.manual_seed(0)
        return _np(mod.Generator(3, 6).double()(z))

    def discriminator():
        torch.manual_seed(0)
        return _np(mod.Discriminator(6).double()(x))

    record("Generator", generator)
    record("Discriminator", discriminator)

    logits = np.concatenate([rng.normal(size=6) * 3.0, [100.0, -100.0]])
    real0, fake0 = logits, logits[::-1].copy()

    def d_loss():
        real = torch.tensor(real0, requires_grad=True)
        fake = torch.tensor(fake0, requires_grad=True)
        loss = mod.discriminator_loss(real, fake)
        grads = torch.autograd.grad(loss, (real, fake))
        return {"value": _np(loss), "grads": [_np(g) for g in grads]}

    def g_loss():
        fake = torch.tensor(fake0, requires_grad=True)
        loss = mod.generator_loss(fake)
        return {"value": _np(loss), "grad": _np(torch.autograd.grad(loss, fake)[0])}

    record("discriminator_loss", d_loss)
    record("generator_loss", g_loss)

    def finite_in_float32():
        # Far-out logits in float32: a loss written with log(sigmoid(.)) overflows to inf.
        extreme = torch.tensor([-1000.0, -100.0, 100.0, 1000.0], dtype=torch.float32)
        values = (mod.discriminator_loss(extreme, extreme.flip(0)), mod.generator_loss(extreme))
        return [bool(torch.isfinite(v).all()) for v in values]

    record("losses:finite_in_float32", finite_in_float32)

    reals = [torch.tensor(rng.uniform(size=(4, 6))) for _ in range(2)]
    zs = [torch.tensor(rng.normal(size=(4, 3))) for _ in range(2)]

    def train_step():
        torch.manual_seed(0)
        G, D = mod.Generator(3, 6).double(), mod.Discriminator(6).double()
        opt_G = torch.optim.SGD(G.parameters(), lr=0.1)
        opt_D = torch.optim.SGD(D.parameters(), lr=0.1)
        steps = []
        for real, zz in zip(reals, zs):
            torch.manual_seed(7)  # a submission drawing its own noise draws from here
            losses = mod.train_step(G, D, opt_G, opt_D, real, zz)
            steps.append({"losses": [float(v) for v in losses], "G": _params(G), "D": _params(D)})
        return steps

    record("train_step", train_step)
    return out


def _same(a, b, tol: float) -> bool:
    """Deep comparison of probe values: dicts, lists, arrays, numbers, strings."""
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


REFERENCE = probe(load_module_from_source(SOURCE, "gan_torch_reference"))


def test_reference_probe_is_clean():
    assert not any(isinstance(v, str) for v in REFERENCE.values()), REFERENCE
    assert np.isfinite(REFERENCE["discriminator_loss"]["value"])
    assert np.isfinite(REFERENCE["generator_loss"]["value"])
    assert REFERENCE["Discriminator"].shape == (5,)
    assert REFERENCE["losses:finite_in_float32"] == [True, True]


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


def test_train_step_without_detach_raises_on_the_second_backward():
    mutant = next(m for m in MUTANTS if m.name == "train_step_without_detach")
    assert _probe_mutant(mutant)["train_step"] == "raised RuntimeError"


# ----------------------------------------------------------------------------------------
# The calibrated trained bound at the grade seed (slow: each run trains for ~10 s CPU).

FAILS_TRAINED_BOUND = ("generator_ignores_z", "generator_loss_target_zero",
                       "discriminator_loss_labels_swapped")
PASSES_TRAINED_BOUND = ("generator_loss_softplus", "train_step_no_grad_fake_for_d")


@pytest.mark.slow
@pytest.mark.parametrize("mutant", [m for m in MUTANTS + UNUSUAL
                                    if m.name in FAILS_TRAINED_BOUND + PASSES_TRAINED_BOUND],
                         ids=lambda m: m.name)
def test_trained_bound_separates_mode_collapse_from_unusual_training(mutant):
    from dlgrade.data.mnist import load_dataset
    from graders.assignments.gan_torch.calibrate import graded_metrics
    from graders.assignments.gan_torch.digit_classifier import load_classifier
    from graders.assignments.gan_torch.thresholds import CHECKS, COVERAGE, METRIC_KEYS, SETTINGS, THRESHOLDS
    from graders.engine.secret import fixed_secret

    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    secret = fixed_secret("dlgrade-test-suite-secret", "gan_torch")
    m, _ = graded_metrics(mod, load_dataset("digits"), secret, load_classifier("digits"), SETTINGS["digits"]["gan"],
                          COVERAGE["digits"])
    passed = all(THRESHOLDS[c].passes(m[METRIC_KEYS[c]]) for c in CHECKS)
    assert passed == (mutant.name in PASSES_TRAINED_BOUND), (mutant.name, m)
