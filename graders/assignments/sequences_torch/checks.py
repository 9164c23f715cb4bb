"""The checks of `sequences_torch`, one `check_<function>_<property>` per check, and the generator.

- `CharLSTM`: checks_char_lstm.py (probes of small untrained models in the sandbox, and
  the trained checks against the calibrated bounds of thresholds.py);
- the series functions (`difference`, `inverse_difference`, `fit_scaler`, `scale`,
  `invert_scale`, `make_windows`): checks_series.py (called directly and compared with the
  reference in the grader's process);
- `Forecaster`: checks_forecaster.py (untrained probes, and the walk-forward test RMSE of
  each cell type against its calibrated bound).
"""

from __future__ import annotations

from functools import partial

from graders.assignments.sequences_torch.checks_char_lstm import (
    CHECK_TRAINED,
    check_char_lstm_causal,
    check_char_lstm_sample,
    check_char_lstm_shapes,
    check_char_lstm_state,
    check_char_lstm_trained,
)
from graders.assignments.sequences_torch.checks_forecaster import (
    check_forecaster_cell,
    check_forecaster_last_step,
    check_forecaster_rmse,
    check_forecaster_shape,
)
from graders.assignments.sequences_torch.checks_series import (
    check_difference_values,
    check_fit_scaler_train_only,
    check_fit_scaler_values,
    check_inverse_difference_one_step,
    check_inverse_difference_round_trip,
    check_invert_scale_values,
    check_make_windows_alignment,
    check_make_windows_shapes,
    check_scale_input_unchanged,
    check_scale_not_refitted,
    check_scale_values,
)
from graders.assignments.sequences_torch.thresholds import (CELLS, CHECK_CHAR, CHECK_CHAR_STEPWISE, CHECK_FORECAST,
                                                           CHECK_SAMPLE, declared, graded_against)
from graders.engine.checks import Check, Kind

CONTRACT = ("CharLSTM", "difference", "inverse_difference", "fit_scaler", "scale", "invert_scale",
            "make_windows", "Forecaster")
TRAIN_TIMEOUT_S = 150.0     # wall time of the calibrated CharLSTM run (CPU budget 20 s) with slack
FORECAST_TIMEOUT_S = 60.0   # one walk-forward run (CPU budget 5 s) with slack


# ------------------------------------------------------------------ the generator


def yield_checks(options: dict):
    """Every check of sequences_torch, in the order of the contract."""
    bounds = declared()
    yield Check("CharLSTM: output shapes", check_char_lstm_shapes)
    yield Check("CharLSTM: state carried between calls", check_char_lstm_state, kind=Kind.PROPERTY)
    yield Check("CharLSTM: causal (later tokens never change earlier outputs)", check_char_lstm_causal,
                kind=Kind.PROPERTY)
    yield Check(CHECK_TRAINED, check_char_lstm_trained, points=3, kind=Kind.THRESHOLD,
                timeout_s=TRAIN_TIMEOUT_S, threshold=graded_against(bounds, CHECK_CHAR_STEPWISE, CHECK_CHAR))
    yield Check(CHECK_SAMPLE, check_char_lstm_sample, kind=Kind.THRESHOLD,
                timeout_s=TRAIN_TIMEOUT_S, threshold=graded_against(bounds, CHECK_SAMPLE, CHECK_CHAR_STEPWISE))
    yield Check("difference: values (interval 1 and 3)", check_difference_values)
    yield Check("inverse_difference: one step (last value + difference)", check_inverse_difference_one_step,
                points=0.5)
    yield Check("inverse_difference: round trip with difference", check_inverse_difference_round_trip,
                kind=Kind.PROPERTY)
    yield Check("fit_scaler: minimum and maximum of the values given", check_fit_scaler_values)
    yield Check("fit_scaler: fitted on the training split only (no test-set leak)", check_fit_scaler_train_only)
    yield Check("scale: maps [lo, hi] onto [-1, 1]", check_scale_values)
    yield Check("scale: uses the given (lo, hi), never re-fitted on its input", check_scale_not_refitted)
    yield Check("scale: leaves its input unchanged", check_scale_input_unchanged, points=0.5,
                kind=Kind.PROPERTY)
    yield Check("invert_scale: inverse of scale", check_invert_scale_values)
    yield Check("make_windows: shapes (N, window, 1) and (N,)", check_make_windows_shapes)
    yield Check("make_windows: alignment (X[i, :, 0] = s[i:i+w], y[i] = s[i+w])", check_make_windows_alignment)
    yield Check("Forecaster: output shape (N,)", check_forecaster_shape)
    yield Check("Forecaster: uses the requested cell type", check_forecaster_cell, kind=Kind.PROPERTY)
    yield Check("Forecaster: forecast read from the last time step", check_forecaster_last_step,
                kind=Kind.PROPERTY)
    for cell in CELLS:
        yield Check(CHECK_FORECAST[cell], partial(check_forecaster_rmse, cell=cell), kind=Kind.THRESHOLD,
                    timeout_s=FORECAST_TIMEOUT_S, threshold=bounds[CHECK_FORECAST[cell]])
