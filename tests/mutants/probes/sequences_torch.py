"""The probe of sequences_torch's contract for its mutants (the harness: tests/mutants/probing.py)."""

import numpy as np
import torch

from graders.assignments.sequences_torch.slips import MUTANTS, UNUSUAL

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


probe = contract_outputs
BUGGY, CORRECT = MUTANTS, UNUSUAL
CHANGED = 1e-10
CONTRACT = None  # no coverage test: each mutant names the probe it changes
INEXACT = {name: tuple(f"{key}.values" for key in PROPERTY_KEYS) for name in PROPERTIES_ONLY}


def check_reference(reference: dict) -> None:
    assert reference["char.props"]["split_matches_whole"] and reference["char.props"]["causal"]
    assert reference["lstm2.props"]["state_shapes"] == [(2, 2, 4), (2, 2, 4)]
    assert all(not isinstance(v, str) for v in reference.values())
