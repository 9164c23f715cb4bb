"""thresholds: a bound calibrated on the reference over seeds (and harmless variations),
with a margin."""

from __future__ import annotations

import math

import pytest

from dataclasses import replace

from graders.engine.thresholds import Threshold, calibrate, derived_bound, format_table

LOSSES = {3: 0.12, 1: 0.10, 2: 0.11, 5: 0.13, 4: 0.09}
ACCURACIES = {0: 0.90, 1: 0.92, 2: 0.88, 3: 0.91, 4: 0.93}


def test_calibrate_needs_at_least_five_seeds():
    with pytest.raises(ValueError, match="at least 5 seeds"):
        calibrate("MSE", {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0}, higher_is_better=False, margin=0.1,
                  cpu_budget_s=5)


def test_lower_is_better_bound_is_the_worst_value_plus_the_margin():
    t = calibrate("held-out MSE", LOSSES, higher_is_better=False, margin=0.25, cpu_budget_s=10)
    assert t.bound == pytest.approx(0.13 * 1.25)
    assert t.passes(0.13) and t.passes(t.bound) and not t.passes(t.bound * 1.0001)


def test_higher_is_better_bound_is_the_worst_value_minus_the_margin():
    t = calibrate("accuracy", ACCURACIES, higher_is_better=True, margin=0.1, cpu_budget_s=10)
    assert t.bound == pytest.approx(0.88 * 0.9)
    assert t.passes(0.88) and t.passes(t.bound) and not t.passes(t.bound - 1e-9)


@pytest.mark.parametrize("higher", [True, False])
def test_every_calibration_seed_passes(higher):
    values = ACCURACIES if higher else LOSSES
    t = calibrate("m", values, higher_is_better=higher, margin=0.05, cpu_budget_s=1)
    assert all(t.passes(v) for v in values.values())


def test_nan_never_passes():
    t = calibrate("m", LOSSES, higher_is_better=False, margin=0.1, cpu_budget_s=1)
    assert not t.passes(math.nan)
    assert not calibrate("m", ACCURACIES, higher_is_better=True, margin=0.1, cpu_budget_s=1).passes(math.nan)


def test_seeds_and_values_are_kept_sorted_by_seed():
    t = calibrate("m", LOSSES, higher_is_better=False, margin=0.1, cpu_budget_s=1)
    assert t.seeds == (1, 2, 3, 4, 5)
    assert t.reference_values == (0.10, 0.11, 0.12, 0.09, 0.13)
    assert t.reference_mean == pytest.approx(0.11)
    assert t.reference_std == pytest.approx(0.014142135623730951)


def test_calibrate_records_settings_dataset_grade_seed_and_budget():
    settings = {"epochs": 3}
    t = calibrate("m", LOSSES, higher_is_better=False, margin=0.1, cpu_budget_s=12.5, settings=settings,
                  dataset="mnist", grade_seed=7)
    assert (t.settings, t.dataset, t.grade_seed, t.cpu_budget_s, t.margin) == (
        {"epochs": 3}, "mnist", 7, 12.5, 0.1)
    settings["epochs"] = 99
    assert t.settings == {"epochs": 3}  # a copy


def test_threshold_is_a_literal_friendly_frozen_record():
    t = Threshold(metric="m", bound=1.0, higher_is_better=False, reference_values=(0.9,) * 5,
                  seeds=(0, 1, 2, 3, 4), margin=0.1, cpu_budget_s=5)
    assert eval(repr(t), {"Threshold": Threshold}) == t
    with pytest.raises(AttributeError):
        t.bound = 2.0


def test_describe_states_the_bound_reference_seeds_margin_and_data():
    t = calibrate("held-out MSE", LOSSES, higher_is_better=False, margin=0.25, cpu_budget_s=10)
    assert t.describe() == ("held-out MSE <= 0.1625 (reference 0.11 +/- 0.014 over 5 seeds, "
                            "margin 25%, digits)")
    acc = calibrate("accuracy", ACCURACIES, higher_is_better=True, margin=0.1, cpu_budget_s=10)
    assert acc.describe().startswith("accuracy >= 0.792 (reference")


def test_format_table_has_a_header_and_one_row_per_threshold():
    table = format_table({
        "train: loss": calibrate("MSE", LOSSES, higher_is_better=False, margin=0.25, cpu_budget_s=10),
        "train: accuracy": calibrate("acc", ACCURACIES, higher_is_better=True, margin=0.1, cpu_budget_s=4.5),
    })
    lines = table.splitlines()
    assert lines[0] == "| check | metric | bound | reference mean +/- std | seeds | margin | CPU budget |"
    assert lines[1] == "|---|---|---|---|---|---|---|"
    assert lines[2] == "| train: loss | MSE | <= 0.1625 | 0.11 +/- 0.014 | 5 | 25% | 10 s |"
    assert lines[3] == "| train: accuracy | acc | >= 0.792 | 0.908 +/- 0.017 | 5 | 10% | 4.5 s |"
    assert len(lines) == 4


def test_format_table_of_nothing_is_the_header():
    assert len(format_table({}).splitlines()) == 2


def test_a_model_size_is_said_with_the_budget():
    t = calibrate("held-out MSE", LOSSES, higher_is_better=False, margin=0.1, cpu_budget_s=20.0)
    assert t.describe_budget() == "20 s of CPU"
    sized = replace(t, model_size="the template's sizes")
    assert sized.describe_budget() == "20 s of CPU, for the template's sizes"


def test_the_derived_bound_takes_the_margin_then_the_slack_on_the_losing_side():
    assert derived_bound([1.0, 2.0], False, 0.5) == 3.0 and derived_bound([1.0, 2.0], True, 0.5) == 0.5
    assert derived_bound([1.0, 0.0], False, 0.0, 9.0) == 10.0 and derived_bound([0.5, 0.75], True, 0.0, 0.25) == 0.25


# ----------------------------------------------------------------- harmless variations

VARIATION = {"a re-associated sum": {0: 0.14, 1: 0.10}, "inputs perturbed by 1e-12": {0: 0.12}}


def test_the_bound_covers_the_harmless_variations_too():
    t = calibrate("held-out MSE", LOSSES, higher_is_better=False, margin=0.25, cpu_budget_s=10,
                  variation=VARIATION)
    assert t.bound == pytest.approx(0.14 * 1.25)  # a variation was the worst value
    assert t.variation == VARIATION and t.reference_values == tuple(LOSSES[s] for s in sorted(LOSSES))
    worse = calibrate("accuracy", ACCURACIES, higher_is_better=True, margin=0.1, cpu_budget_s=1,
                      variation={"another update order": {0: 0.80}})
    assert worse.bound == pytest.approx(0.80 * 0.9)


def test_a_threshold_with_variations_says_so():
    t = calibrate("held-out MSE", LOSSES, higher_is_better=False, margin=0.25, cpu_budget_s=10,
                  variation=VARIATION)
    assert "over 5 draws and 2 harmless variations" in t.describe()
    plain = calibrate("held-out MSE", LOSSES, higher_is_better=False, margin=0.25, cpu_budget_s=10)
    assert plain.variation == {} and "over 5 seeds" in plain.describe()
