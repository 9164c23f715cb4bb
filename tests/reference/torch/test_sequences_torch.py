"""Tests of the sequences_torch reference: CharLSTM, the series functions, Forecaster, tasks."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dlgrade.data import load_shampoo
from graders.assignments.sequences_torch import recipe, tasks

REF = Path(__file__).resolve().parents[3] / "reference" / "torch" / "sequences_torch.py"


def _load():
    spec = importlib.util.spec_from_file_location("sequences_torch_ref", REF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load()
series_st = arrays(np.float64, st.integers(5, 30), elements=st.floats(-1e3, 1e3, allow_nan=False))


# ----------------------------------------------------------------------------- CharLSTM


@pytest.mark.parametrize("num_layers", [1, 2])
def test_char_lstm_shapes_of_logits_and_state(num_layers):
    torch.manual_seed(0)
    model = ref.CharLSTM(11, 6, num_layers)
    logits, (h, c) = model(torch.randint(0, 11, (3, 7)))
    assert logits.shape == (3, 7, 11)
    assert h.shape == c.shape == (num_layers, 3, 6)


@pytest.mark.parametrize("num_layers", [1, 2])
def test_char_lstm_state_carried_between_chunks_equals_one_call(num_layers):
    torch.manual_seed(0)
    model = ref.CharLSTM(9, 5, num_layers).double()
    idx = torch.randint(0, 9, (2, 10))
    whole, state = model(idx)
    a, st1 = model(idx[:, :4])
    b, st2 = model(idx[:, 4:], st1)
    torch.testing.assert_close(torch.cat([a, b], dim=1), whole, rtol=0, atol=1e-12)
    for x, y in zip(st2, state):
        torch.testing.assert_close(x, y, rtol=0, atol=1e-12)


def test_char_lstm_is_causal_later_tokens_never_change_earlier_logits():
    torch.manual_seed(0)
    model = ref.CharLSTM(6, 5).double()
    idx = torch.randint(0, 6, (4, 9))
    base, _ = model(idx)
    for t in range(9):
        other = idx.clone()
        other[:, t:] = (other[:, t:] + 1) % 6
        changed, _ = model(other)
        assert torch.equal(changed[:, :t], base[:, :t])
        assert not torch.allclose(changed[:, t], base[:, t])  # but the token at t matters


def test_char_lstm_probe_task_reports_zero_differences_for_the_reference():
    r = tasks.task_char_lstm_probe(ref)
    assert r["logits_shape"] == [2, 6, 7] and r["state_shapes"] == [[1, 2, 8], [1, 2, 8]]
    assert r["split_max_diff"] < 1e-6 and r["state_max_diff"] < 1e-6
    assert r["causality_max_diff"] == 0.0


def test_sample_low_temperature_is_greedy_and_draws_are_reproducible():
    torch.manual_seed(0)
    model = ref.CharLSTM(5, 8)
    cold = ref.sample(model, [0, 1], 12, temperature=1e-4, generator=torch.Generator().manual_seed(0))
    logits, state = model(torch.tensor([[0, 1]]))
    greedy = []
    with torch.no_grad():
        for _ in range(12):
            greedy.append(int(logits[0, -1].argmax()))
            logits, state = model(torch.tensor([[greedy[-1]]]), state)
    assert cold == greedy
    draws = [ref.sample(model, [0], 20, 1.0, torch.Generator().manual_seed(3)) for _ in range(2)]
    assert draws[0] == draws[1] and all(0 <= i < 5 for i in draws[0])


def test_char_lstm_train_task_runs_and_learns_on_a_small_budget():
    from graders.assignments.sequences_torch import causal
    from graders.engine.secret import fixed_secret

    text = ("the quick brown fox jumps over the lazy dog. " * 60)
    split = causal.char_split(text, fixed_secret("small", "sequences_torch"), "CharLSTM", 90, 6)
    r = tasks.task_char_lstm_train(ref, list(split.train_pieces), len(split.vocab), hidden_size=16, steps=40,
                                   seq_len=20, batch_size=8, lr=0.02)
    settings = {"hidden_size": 16, "num_layers": 1, "seq_len": 20, "prefix": "the ", "sample_len": 30,
                "temperature": 0.8}
    m = causal.char_evaluation(causal.InProcessBox(tasks, ref), r["state"], split, settings, 0)
    assert m["val_loss"] < m["unigram_loss"] < m["uniform_loss"]
    assert m["val_loss_stepwise"] < m["unigram_loss"]
    assert len(m["sample"]) == 30 and set(m["sample"]) <= set(text)


# ----------------------------------------------------------------------------- series


def test_difference_values_and_seasonal_interval():
    s = np.array([1.0, 4.0, 9.0, 16.0, 25.0])
    np.testing.assert_array_equal(ref.difference(s), [3.0, 5.0, 7.0, 9.0])
    np.testing.assert_array_equal(ref.difference(s, 2), [8.0, 12.0, 16.0])


@settings(max_examples=50, deadline=None)
@given(series_st, st.integers(1, 4))
def test_inverse_difference_round_trips_the_series(s, interval):
    if interval >= len(s):
        interval = 1
    d = ref.difference(s, interval)
    back = ref.inverse_difference(s[:interval] if interval > 1 else s[0], d, interval=interval)
    np.testing.assert_allclose(back, s[interval:], rtol=0, atol=1e-9 * (1 + np.abs(s).max()))


def test_inverse_difference_of_one_forecast_adds_it_to_the_last_value():
    assert ref.inverse_difference(100.0, -7.5) == 92.5
    assert isinstance(ref.inverse_difference(100.0, -7.5), float)


def test_fit_scaler_uses_the_training_values_only():
    train = np.array([3.0, -2.0, 7.5, 1.0])
    assert ref.fit_scaler(train) == (-2.0, 7.5)


@settings(max_examples=50, deadline=None)
@given(series_st)
def test_scale_maps_training_range_to_minus_one_one_and_inverts(s):
    lo, hi = ref.fit_scaler(s)
    if hi - lo < 1e-6:
        return
    z = ref.scale(s, lo, hi)
    assert z.min() == pytest.approx(-1.0, abs=1e-12) and z.max() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(ref.invert_scale(z, lo, hi), s, rtol=0, atol=1e-9 * (1 + np.abs(s).max()))


def test_scale_does_not_refit_on_test_values():
    lo, hi = ref.fit_scaler(np.array([0.0, 10.0]))
    np.testing.assert_allclose(ref.scale(np.array([15.0, 20.0]), lo, hi), [2.0, 3.0])


def test_series_functions_do_not_modify_their_inputs():
    s = np.array([5.0, 1.0, 4.0, 2.0, 8.0])
    keep = s.copy()
    ref.difference(s)
    ref.fit_scaler(s)
    ref.scale(s, 1.0, 8.0)
    ref.invert_scale(s, 1.0, 8.0)
    ref.make_windows(s, 2)
    ref.inverse_difference(s[0], s)
    np.testing.assert_array_equal(s, keep)


def test_make_windows_shapes_and_alignment():
    s = np.arange(10.0) ** 2
    X, y = ref.make_windows(s, 3)
    assert X.shape == (7, 3, 1) and y.shape == (7,) and X.dtype == y.dtype == np.float64
    for i in range(7):
        np.testing.assert_array_equal(X[i, :, 0], s[i:i + 3])
        assert y[i] == s[i + 3]


# ----------------------------------------------------------------------------- Forecaster


@pytest.mark.parametrize("cell,gates", [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_forecaster_output_shape_and_cell_type(cell, gates):
    torch.manual_seed(0)
    model = ref.Forecaster(cell, 5)
    assert model(torch.randn(4, 6, 1)).shape == (4,)
    n = sum(p.numel() for p in model.parameters())
    assert n == gates * (5 * 1 + 5 * 5 + 2 * 5) + 5 + 1


def test_forecaster_rejects_an_unknown_cell():
    with pytest.raises(ValueError):
        ref.Forecaster("transformer", 4)


def test_forecaster_depends_on_the_last_step():
    torch.manual_seed(0)
    model = ref.Forecaster("gru", 4)
    x = torch.randn(3, 5, 1)
    y = x.clone()
    y[:, -1] += 1.0
    assert not torch.allclose(model(x), model(y))


# ----------------------------------------------------------------------------- shampoo task


def test_shampoo_persistence_rmse_is_the_course_value():
    r = recipe.shampoo_forecast(ref, load_shampoo(), cell="rnn", epochs=1)
    assert r["persistence_rmse"] == pytest.approx(136.761, abs=1e-3)
    assert r["predictions"].shape == (12,)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_shampoo_reference_beats_persistence_at_the_grade_seed(cell):
    from graders.assignments.sequences_torch.thresholds import SHAMPOO_SETTINGS

    r = recipe.shampoo_forecast(ref, load_shampoo(), cell=cell, seed=0, **SHAMPOO_SETTINGS)
    assert r["rmse"] < r["persistence_rmse"]


def test_shampoo_student_pipeline_equals_the_task_pipeline_for_the_reference():
    s = load_shampoo()
    a = recipe.shampoo_forecast(ref, s, cell="lstm", epochs=30, pipeline="student")
    b = recipe.shampoo_forecast(ref, s, cell="lstm", epochs=30, pipeline="task")
    np.testing.assert_allclose(a["predictions"], b["predictions"], rtol=0, atol=1e-9)


@pytest.mark.slow
def test_calibration_draw_passes_the_written_thresholds():
    from graders.assignments.sequences_torch import calibrate
    from graders.assignments.sequences_torch.thresholds import (CELLS, CHECK_CHAR, CHECK_CHAR_STEPWISE,
                                                                CHECK_FORECAST, TEXT_DATA, declared)
    from graders.tooling.calibration import secret_draws

    bounds = {key: c.for_dataset(next(iter(c.settings))) for key, c in declared().items()}
    secret = secret_draws("sequences_torch")[0]
    r = calibrate.char_run(ref, secret)
    assert bounds[CHECK_CHAR].passes(r["val_loss"])
    assert bounds[CHECK_CHAR_STEPWISE].passes(r["val_loss_stepwise"])
    assert r["task_cpu_seconds"] < bounds[CHECK_CHAR].cpu_budget_s
    for cell in CELLS:
        t = bounds[CHECK_FORECAST[cell]]
        assert t.passes(calibrate.shampoo_run(ref, cell, secret)["rmse"])


def test_shampoo_table_task_gives_mean_and_std_per_cell():
    table = recipe.shampoo_table(ref, load_shampoo(), cells=("rnn", "gru"), seeds=(0, 1), epochs=5)
    assert set(table) == {"rnn", "gru", "persistence_rmse"}
    for cell in ("rnn", "gru"):
        assert len(table[cell]["rmse"]) == 2
        assert table[cell]["mean"] == pytest.approx(np.mean(table[cell]["rmse"]))
        assert table[cell]["std"] == pytest.approx(np.std(table[cell]["rmse"]))
