"""thresholds: a bound calibrated on the reference over seeds, with a margin, and the
table written back as Python source."""

from __future__ import annotations

import math

import pytest

from graders.engine.thresholds import (
    TABLE_BEGIN,
    TABLE_END,
    Threshold,
    calibrate,
    dataset_table_literal,
    format_table,
    quoted,
    rewrite_from,
    set_constant,
    table_literal,
    threshold_literal,
    with_model_size,
    write_dataset_table,
)

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


# ----------------------------------------------------------------- tables as Python source

THREE = calibrate("held-out MSE", {0: 0.25, 1: 0.5, 2: 0.125, 3: 0.75, 4: 0.5}, higher_is_better=False,
                  margin=0.5, cpu_budget_s=2.0, settings={"epochs": 3}, dataset="digits")


def _evaluated(source: str, **names):
    return eval(source, {"Threshold": Threshold, **names})


@pytest.mark.parametrize("values", ["pformat", "inline", "repr", "per_seed"])
def test_threshold_literal_reads_back_as_the_same_record_in_every_layout(values):
    assert _evaluated(threshold_literal(THREE, values=values)) == THREE


def test_threshold_literal_writes_one_field_a_line_closing_at_the_indent():
    assert threshold_literal(THREE, values="inline").splitlines() == [
        "Threshold(",
        "        metric='held-out MSE',",
        "        bound=1.125,",
        "        higher_is_better=False,",
        "        reference_values=(0.25, 0.5, 0.125, 0.75, 0.5,),",
        "        seeds=(0, 1, 2, 3, 4),",
        "        margin=0.5,",
        "        cpu_budget_s=2.0,",
        "        grade_seed=0,",
        "        settings={'epochs': 3},",
        "        dataset='digits',",
        "    )",
    ]


def test_reference_values_layouts():
    def values_line(layout, indent="    "):
        text = threshold_literal(THREE, indent, values=layout)
        return text[text.index("reference_values="):text.index("seeds=")].rstrip()

    assert values_line("repr") == "reference_values=(0.25, 0.5, 0.125, 0.75, 0.5),"
    assert values_line("per_seed").splitlines() == [
        "reference_values=(", "            0.25,  # seed 0", "            0.5,  # seed 1",
        "            0.125,  # seed 2", "            0.75,  # seed 3", "            0.5,  # seed 4",
        "        ),"]
    long = calibrate("m", {s: 0.1234567890123 + s for s in range(6)}, higher_is_better=False, margin=0.1,
                     cpu_budget_s=1)
    wrapped = threshold_literal(long, "        ")  # pprint wraps at 88 under the field
    assert "reference_values=(0.1234567890123,\n             1.1234567890123," in wrapped
    with pytest.raises(ValueError, match="layout"):
        threshold_literal(THREE, values="sideways")


def test_sources_replace_a_fields_text():
    text = threshold_literal(THREE, metric="METRIC", settings="dict(SETTINGS)", dataset=quoted("digits"))
    assert "metric=METRIC," in text and "settings=dict(SETTINGS)," in text and 'dataset="digits",' in text
    assert _evaluated(text, METRIC="held-out MSE", SETTINGS={"epochs": 3}) == THREE


def test_table_literal_keys_entries_and_per_entry_sources():
    table = {"a: check": THREE, "b": THREE}
    text = table_literal(table, "T: dict = {", key=quoted,
                         sources=lambda name, t: {"dataset": repr(name)})
    lines = text.splitlines()
    assert lines[0] == "T: dict = {" and lines[1] == '    "a: check": Threshold(' and lines[-1] == "}"
    assert lines[-2] == "    ),"
    namespace = {"Threshold": Threshold}
    exec(text, namespace)
    assert namespace["T"]["a: check"].dataset == "a: check" and namespace["T"]["b"].bound == THREE.bound


def test_rewrite_from_keeps_everything_before_the_first_line_that_begins_so():
    text = 'X = 1\n"""THRESHOLDS = { in prose"""\nTHRESHOLDS = {\n  "old": 1,\n}\nTAIL = 2\n'
    assert rewrite_from(text, "THRESHOLDS = {", "THRESHOLDS = {}") == (
        'X = 1\n"""THRESHOLDS = { in prose"""\nTHRESHOLDS = {}\n')
    with pytest.raises(RuntimeError, match="no line begins with 'NOPE'"):
        rewrite_from(text, "NOPE", "")


def test_rewrite_from_keeps_what_follows_the_table_end_marker():
    text = 'X = 1\nTHRESHOLDS = {\n  "old": 1,\n}\n# END CALIBRATED TABLE\n\nMODEL_SIZE = "small"\n'
    assert rewrite_from(text, "THRESHOLDS = {", "THRESHOLDS = {}") == (
        'X = 1\nTHRESHOLDS = {}\n# END CALIBRATED TABLE\n\nMODEL_SIZE = "small"\n')


def test_a_model_size_is_declared_on_a_flat_table_too():
    t = calibrate("held-out MSE", LOSSES, higher_is_better=False, margin=0.1, cpu_budget_s=20.0)
    assert with_model_size({"mse": t}, "the template's sizes")["mse"].model_size == "the template's sizes"


def test_set_constant_rewrites_whole_lines_only():
    text = "BASELINE = 1.5\nBASELINE_MSE = 2.0\n# BASELINE = 3\n"
    assert set_constant(text, "BASELINE", 0.25) == "BASELINE = 0.25\nBASELINE_MSE = 2.0\n# BASELINE = 3\n"
    assert set_constant(text, "BASELINE", "a\\b").splitlines()[0] == "BASELINE = 'a\\\\b'"


def test_write_dataset_table_merges_one_data_set_and_keeps_digits_first(tmp_path):
    path = tmp_path / "thresholds.py"
    other = calibrate("acc", ACCURACIES, higher_is_better=True, margin=0.1, cpu_budget_s=1, dataset="mnist")
    existing = {"digits": {"loss": THREE}}
    path.write_text("HEAD = 1\n" + dataset_table_literal(existing) + "\nTAIL = 2\n", encoding="utf-8")
    write_dataset_table(path, existing, "mnist", {"acc": other})
    written = {"digits": {"loss": THREE}, "mnist": {"acc": other}}
    write_dataset_table(path, written, "digits", {"more": other})  # merged over digits' checks
    namespace = {}
    text = path.read_text(encoding="utf-8")
    assert text.startswith("HEAD = 1\n" + TABLE_BEGIN) and text.endswith(TABLE_END + "\nTAIL = 2\n")
    exec(text, {"Threshold": Threshold}, namespace)
    assert list(namespace["THRESHOLDS_BY_DATASET"]) == ["digits", "mnist"]
    assert namespace["THRESHOLDS_BY_DATASET"]["digits"] == {"loss": THREE, "more": other}
    path.write_text("no table\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="no CALIBRATED TABLE block"):
        write_dataset_table(path, written, "digits", {})


def test_a_declared_model_size_is_in_the_budget_and_never_in_the_calibrated_table():
    t = calibrate("held-out MSE", LOSSES, higher_is_better=False, margin=0.1, cpu_budget_s=20.0)
    assert t.describe_budget() == "20 s of CPU"
    sized = with_model_size({"digits": {"mse": t}}, "the template's sizes")["digits"]["mse"]
    assert sized.describe_budget() == "20 s of CPU, for the template's sizes"
    assert threshold_literal(sized) == threshold_literal(t)  # declared beside the table, not in it
    assert sized.bound == t.bound and t.model_size == ""


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


def test_a_threshold_with_variations_says_so_and_reads_back_from_its_literal():
    t = calibrate("held-out MSE", LOSSES, higher_is_better=False, margin=0.25, cpu_budget_s=10,
                  variation=VARIATION)
    assert "over 5 draws and 2 harmless variations" in t.describe()
    text = threshold_literal(t, "    ", values="per_seed")
    assert "        variation={\n            'a re-associated sum': {\n                0: 0.14,\n" in text
    assert _evaluated(text) == t


def test_a_threshold_without_variations_writes_no_variation_field():
    t = calibrate("held-out MSE", LOSSES, higher_is_better=False, margin=0.25, cpu_budget_s=10)
    assert t.variation == {} and "variation" not in threshold_literal(t)
    assert "over 5 seeds" in t.describe()
