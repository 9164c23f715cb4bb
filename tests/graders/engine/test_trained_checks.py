"""trained_checks: one declaration per trained check, its calibrated numbers read from
thresholds.json and validated against it; the shipped bounds are those calibrated before
they moved from Python tables into data."""

from __future__ import annotations

import importlib
import json
from dataclasses import replace

import pytest

from graders.engine.trained_checks import (
    Calibration,
    CalibrationError,
    TrainedCheck,
    TrainedGroup,
    calibrate_command,
    with_calibration,
)

# Every calibrated bound as the Python tables held it (assignment, data set, check key): the
# conversion to thresholds.json changed their form, not one of their numbers.
BOUNDS_BEFORE = {
    ("transfer_torch", "digits (5, 6, 7, 8, 9) (base pretrained on 0-4)", "replace_head: head-only accuracy (5 classes)"):
        0.8440749999999999,
    ("transfer_torch", "digits (5, 6, 7, 8, 9) (base pretrained on 0-4)",
     "unfreeze_from: fine-tuned accuracy (5 classes)"): 0.9252999999999999,
    ("transfer_torch", "digits (5, 9) (base pretrained on 0-4)", "replace_head: head-only accuracy (5 vs 9)"): 0.784415,
    ("transfer_torch", "digits (5, 9) (base pretrained on 0-4)", "unfreeze_from: fine-tuned accuracy (5 vs 9)"):
        0.88901,
    ("sequences_torch", "pydoc_data.topics (load_english_text)", "CharLSTM: validation loss"): 2.1945575650666305,
    ("sequences_torch", "pydoc_data.topics (load_english_text)", "CharLSTM: stepwise validation loss"):
        2.1462472878834564,
    ("sequences_torch", "pydoc_data.topics (load_english_text)", "CharLSTM: sampling with a temperature"):
        0.2111111111111111,
    ("sequences_torch", "shampoo", "Forecaster: rnn walk-forward RMSE"): 110.84176584020192,
    ("sequences_torch", "shampoo", "Forecaster: lstm walk-forward RMSE"): 119.25199081804578,
    ("sequences_torch", "shampoo", "Forecaster: gru walk-forward RMSE"): 117.71966651556026,
    ("activity_recognition", "basic_motions", "train: test accuracy of the RNN classifier"): 0.52,
    ("activity_recognition", "basic_motions", "train: test accuracy of the LSTM classifier"): 0.7200000000000001,
    ("activity_recognition", "basic_motions", "train: test accuracy of the GRU classifier"): 0.7200000000000001,
    ("language_model_numpy", "pydoc_data.topics 4-grams", "train: held-out accuracy"): 0.2542141230068337,
    ("language_model_numpy", "pydoc_data.topics 4-grams", "train: held-out cross-entropy"): 3.80725211763238,
    ("char_rnn_numpy", "faust", "train: regenerate Faust"): 10.0,
    ("sparse_autoencoder", "sample_photos", "train: held-out cost"): 0.42244995355048237,
    ("autoencoder_numpy", "digits", "train: held-out reconstruction"): 0.007558554046181924,
    ("autoencoders_torch", "digits", "dense_reconstruction"): 0.018515678392347017,
    ("autoencoders_torch", "digits", "conv_reconstruction"): 0.03004316765917242,
    ("autoencoders_torch", "digits", "denoising_ratio"): 0.3883455418767869,
    ("autoencoders_torch", "digits", "sparsity_factor"): 3.3183797794420653,
    ("autoencoders_torch", "digits", "sparse_reconstruction"): 0.022972052817871975,
    ("gan_torch", "digits", "gan_distinct_classes"): 5.25,
    ("gan_torch", "digits", "gan_confident_fraction"): 0.28919999999999996,
    ("gan_torch", "digits", "gan_not_memorised"): 0.520746609382263,
    ("vae_torch", "digits", "vae_test_loss"): 12.47022708563494,
}


def _declared_of(assignment: str) -> dict[str, TrainedCheck]:
    found = importlib.import_module(f"graders.assignments.{assignment}.thresholds").declared()
    return {c.key: c for c in found.checks} if isinstance(found, TrainedGroup) else found


@pytest.mark.parametrize("assignment, dataset, key", sorted(BOUNDS_BEFORE))
def test_every_shipped_bound_is_the_one_calibrated_before_the_conversion(assignment, dataset, key):
    t = _declared_of(assignment)[key].for_dataset(dataset)
    assert t.bound == BOUNDS_BEFORE[assignment, dataset, key]
    assert all(t.passes(v) for v in t.reference_values)


def test_every_declared_check_of_the_converted_assignments_has_its_bound_listed():
    shipped = {(a, ds, key) for a in {a for a, _, _ in BOUNDS_BEFORE}
               for key, c in _declared_of(a).items() for ds in c.calibrated}
    assert shipped == set(BOUNDS_BEFORE)


# ------------------------------------------------------------------ the declaration


def _check(**changes) -> TrainedCheck:
    fields = dict(assignment="toy", key="loss", metric="held-out loss", higher_is_better=False, margin=0.1,
                  cpu_budget_s=5.0, settings={"digits": {"epochs": 3, "shape": (8, 8)}}, task="train",
                  metric_key="test_loss", model_size="a tiny model")
    return TrainedCheck(**{**fields, **changes})


def _entry(values=(1.0, 2.0, 1.5, 1.2, 1.9), **changes) -> dict:
    entry = {"bound": max(values) * 1.1, "reference_values": list(values), "seeds": list(range(len(values))),
             "grade_seed": 0, "settings": {"epochs": 3, "shape": [8, 8]}}
    return {**entry, **changes}


def _write(tmp_path, tables) -> None:
    (tmp_path / "thresholds.json").write_text(json.dumps(tables), encoding="utf-8")


def test_a_declaration_with_its_calibration_gives_the_threshold_a_check_compares_with(tmp_path):
    _write(tmp_path, {"digits": {"loss": _entry()}})
    check = with_calibration(tmp_path, [_check()])["loss"]
    t = check.for_dataset("digits")
    assert (t.metric, t.higher_is_better, t.margin, t.cpu_budget_s) == ("held-out loss", False, 0.1, 5.0)
    assert t.bound == pytest.approx(2.2) and t.reference_values == (1.0, 2.0, 1.5, 1.2, 1.9)
    assert t.settings == {"epochs": 3, "shape": (8, 8)} and t.dataset == "digits" and t.model_size == "a tiny model"
    assert t.passes(2.2) and not t.passes(2.3)
    assert check.describe_budget() == "5 s of CPU, for a tiny model"


def test_a_course_may_override_a_bound_of_one_data_set(tmp_path):
    _write(tmp_path, {"digits": {"loss": _entry()}})
    check = with_calibration(tmp_path, [_check()])["loss"]
    looser = check.with_bound(3.0)
    assert looser.for_dataset("digits").bound == 3.0 and check.for_dataset("digits").bound == pytest.approx(2.2)
    assert check.with_bound(3.0, "digits") == looser
    with pytest.raises(CalibrationError, match="'mnist'"):
        check.with_bound(3.0, "mnist")
    group = TrainedGroup((check, replace(check, key="other")))
    assert group.with_bound(4.0, key="other")["other"].for_dataset("digits").bound == 4.0
    assert group.with_bound(4.0, key="other")["loss"] == check
    with pytest.raises(KeyError):
        group.with_bound(1.0, key="nope")
    with pytest.raises(ValueError, match="several bounds"):
        group.with_bound(1.0)
    assert TrainedGroup((check,)).with_bound(3.0)["loss"] == looser


def test_a_bound_calibrated_on_one_other_data_set_is_overridden_without_naming_it(tmp_path):
    _write(tmp_path, {"faust": {"loss": _entry()}})
    check = with_calibration(tmp_path, [_check(settings={"faust": {"epochs": 3, "shape": (8, 8)}})])["loss"]
    assert check.with_bound(9.0).for_dataset("faust").bound == 9.0


def test_a_missing_entry_names_the_command_that_writes_it(tmp_path):
    check = with_calibration(tmp_path, [_check(settings={"digits": {}, "mnist": {}})])["loss"]  # no file at all
    with pytest.raises(CalibrationError, match=r"run `dlgrade calibrate toy --dataset digits --write`"):
        check.for_dataset("digits")
    with pytest.raises(CalibrationError, match=r"--dataset mnist:PATH --write"):
        check.for_dataset("mnist")
    with pytest.raises(CalibrationError, match="declares no settings"):
        check.for_dataset("cifar")
    assert calibrate_command("toy", "basic_motions") == "dlgrade calibrate toy --dataset basic_motions --write"


@pytest.mark.parametrize("entry, message", [
    ({"bound": 1.0}, "needs bound, reference_values and seeds"),
    (_entry(bound="2.2"), "not a finite number"),
    (_entry(bound=float("nan")), "not a finite number"),
    (_entry(seeds=[0, 1]), "5 reference values for 2 seeds"),
    (_entry(reference_values=["a"] * 5), "reference_values is not a list of numbers"),
    (_entry(extra=1), "unknown fields ['extra']"),
    (_entry(settings={"epochs": 4, "shape": [8, 8]}), "calibrated with the settings"),
    (_entry(bound=2.0), "not the worst reference value with the declared margin 0.1"),
    (_entry(variation=[1, 2]), "variation is not"),
])
def test_a_malformed_entry_is_refused_naming_the_command(tmp_path, entry, message):
    _write(tmp_path, {"digits": {"loss": entry}})
    with pytest.raises(CalibrationError) as info:
        with_calibration(tmp_path, [_check()])
    assert message in str(info.value) and "run `dlgrade calibrate toy --dataset digits --write`" in str(info.value)


@pytest.mark.parametrize("text, message", [("{not json", "malformed"), ("[1, 2]", "malformed"),
                                           ('{"digits": {"nope": {}}}', "'nope', which toy does not declare")])
def test_a_malformed_file_is_refused(tmp_path, text, message):
    (tmp_path / "thresholds.json").write_text(text, encoding="utf-8")
    with pytest.raises(CalibrationError, match=message):
        with_calibration(tmp_path, [_check()])


def test_harmless_variations_read_back_with_integer_seeds_and_count_in_the_bound(tmp_path):
    entry = _entry(variation={"re-associated": {"0": 1.0, "1": 3.0}}, bound=3.0 * 1.1)
    _write(tmp_path, {"digits": {"loss": entry}})
    t = with_calibration(tmp_path, [_check()])["loss"].for_dataset("digits")
    assert t.variation == {"re-associated": {0: 1.0, 1: 3.0}} and t.bound == pytest.approx(3.3)
    assert Calibration.of(t).to_json()["variation"] == {"re-associated": {"0": 1.0, "1": 3.0}}
