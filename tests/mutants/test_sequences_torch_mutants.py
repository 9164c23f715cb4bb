"""Every sequences_torch mutant applies; buggy ones change a contract output, unusual ones do not."""

import numpy as np
import pytest
import torch

from tests.mutants import load_module_from_source, reference_path
from tests.mutants.sequences_torch import MUTANTS, UNUSUAL

SOURCE = reference_path("sequences_torch").read_text(encoding="utf-8")
# unusual submissions whose CharLSTM has other parameters than the reference's (so the
# same seed gives other weights): compared on the shape, state and causality properties
PROPERTIES_ONLY = {"char_lstm_one_hot_inputs"}
PROPERTY_KEYS = ("char", "lstm2")


def _try(fn):
    try:
        with torch.no_grad():
            return fn()
    except Exception as exc:  # noqa: BLE001 - a crash is an observable difference
        return f"raised {type(exc).__name__}"


def _char_outputs(mod, num_layers):
    torch.manual_seed(0)
    model = mod.CharLSTM(5, 4, num_layers).double().eval()
    idx = torch.tensor([[0, 1, 2, 3, 4, 0], [4, 4, 1, 0, 2, 3]])
    logits, state = model(idx)
    first, st = model(idx[:, :3])
    second, st2 = model(idx[:, 3:], st)
    changed, _ = model(torch.cat([idx[:, :3], (idx[:, 3:] + 1) % 5], dim=1))
    values = {
        "logits": logits.numpy(),
        "state": [s.numpy() for s in state],
    }
    props = {
        "logits_shape": tuple(logits.shape),
        "state_shapes": [tuple(s.shape) for s in state],
        "split_matches_whole": bool(torch.allclose(torch.cat([first, second], 1), logits, atol=1e-10)
                                    and all(torch.allclose(a, b, atol=1e-10) for a, b in zip(st2, state))),
        "causal": bool(torch.allclose(changed[:, :3], logits[:, :3], atol=1e-12)),
    }
    return values, props


def contract_outputs(mod):
    """Outputs of every contract function on small fixed inputs (or the exception raised)."""
    rng = np.random.default_rng(0)
    s = rng.normal(size=12) * 10 + 50
    d = rng.normal(size=5)
    out = {}
    for key, layers in (("char", 1), ("lstm2", 2)):
        r = _try(lambda: _char_outputs(mod, layers))
        out[key + ".values"], out[key + ".props"] = r if isinstance(r, tuple) else (r, r)
    out["difference"] = _try(lambda: mod.difference(s))
    out["difference_3"] = _try(lambda: mod.difference(s, 3))
    out["inverse_difference"] = _try(lambda: mod.inverse_difference(s[0], mod_free_difference(s)))
    out["inverse_difference_scalar"] = _try(lambda: mod.inverse_difference(2.5, -0.75))
    out["inverse_difference_3"] = _try(lambda: mod.inverse_difference(s[:3], s[3:] - s[:-3], interval=3))
    out["fit_scaler"] = _try(lambda: mod.fit_scaler(d))
    out["scale"] = _try(lambda: mod.scale(s, 40.0, 60.0))
    out["scale_test"] = _try(lambda: mod.scale(s[-4:], 40.0, 60.0))
    out["invert_scale"] = _try(lambda: mod.invert_scale(np.linspace(-1.5, 1.5, 7), 40.0, 60.0))
    out["make_windows"] = _try(lambda: mod.make_windows(s, 3))
    x = torch.tensor(np.random.default_rng(1).normal(size=(3, 5, 1)), dtype=torch.float64)
    for cell in ("rnn", "lstm", "gru"):
        def forecast(cell=cell):
            torch.manual_seed(0)
            return mod.Forecaster(cell, 4).double().eval()(x).numpy()

        out["forecaster_" + cell] = _try(forecast)
    return out


def mod_free_difference(s):
    return s[1:] - s[:-1]


def same(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and np.allclose(a, b, rtol=0, atol=1e-10)
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) <= 1e-10
    return a == b


REFERENCE = contract_outputs(load_module_from_source(SOURCE, "sequences_torch_reference"))


def test_reference_outputs_have_the_contract_properties():
    assert REFERENCE["char.props"]["split_matches_whole"] and REFERENCE["char.props"]["causal"]
    assert REFERENCE["lstm2.props"]["state_shapes"] == [(2, 2, 4), (2, 2, 4)]
    assert all(not isinstance(v, str) for v in REFERENCE.values())


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_buggy_mutant_changes_a_contract_output(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    got = contract_outputs(mod)
    changed = [k for k in REFERENCE if not same(REFERENCE[k], got[k])]
    assert changed, f"{mutant.name} behaves like the reference on every probe"


@pytest.mark.parametrize("mutant", UNUSUAL, ids=lambda m: m.name)
def test_unusual_submission_matches_the_reference(mutant):
    mod = load_module_from_source(mutant.apply(SOURCE), mutant.name)
    got = contract_outputs(mod)
    keys = [k for k in REFERENCE
            if not (mutant.name in PROPERTIES_ONLY and k.endswith(".values"))]
    differ = [k for k in keys if not same(REFERENCE[k], got[k])]
    assert not differ, f"{mutant.name} differs from the reference on {differ}"


def test_mutant_names_are_unique():
    names = [m.name for m in MUTANTS + UNUSUAL]
    assert len(names) == len(set(names))
