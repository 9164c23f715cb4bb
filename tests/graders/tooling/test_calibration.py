"""calibration: the helpers of the calibrations, and their writers on the real files."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from graders.engine.trained_checks import TrainedCheck, with_calibration
from graders.tooling.calibration import (
    calibrate_declared,
    cpu_summary,
    load_calibration_data,
    load_reference,
    mutant_modules,
    one_blas_thread,
    or_raised,
    over_seeds,
    report_mutants,
    timed,
    verdict,
    write_calibrations,
)
from graders.engine.thresholds import Threshold

DATASET_SEEDS = (0, 1, 2, 3, 4)  # the fewest seeds `calibrate` takes

def test_load_reference_loads_numpy_and_torch_references_by_path():
    numpy_ref = load_reference("autoencoder_numpy")
    assert numpy_ref.__name__ == "autoencoder_numpy_reference" and hasattr(numpy_ref, "train")
    assert load_reference("transfer_torch").__file__.endswith("reference/torch/transfer_torch.py")
    with pytest.raises(KeyError, match="no_such_assignment"):
        load_reference("no_such_assignment")


def test_timed_returns_the_result_and_cpu_seconds():
    result, cpu = timed(sum, range(100_000), start=1)
    assert result == sum(range(100_000)) + 1 and cpu >= 0.0


def test_over_seeds_measures_each_seed_in_order_and_prints_its_line(capsys):
    results = over_seeds((3, 1, 2), lambda seed: seed * 10, lambda seed, r: f"seed {seed}: {r}")
    assert list(results.items()) == [(3, 30), (1, 10), (2, 20)]
    assert capsys.readouterr().out == "seed 3: 30\nseed 1: 10\nseed 2: 20\n"
    over_seeds((0,), lambda seed: 0, lambda seed, r: "x", verbose=False)
    over_seeds((0,), lambda seed: 0)
    assert capsys.readouterr().out == ""


def test_cpu_summary():
    assert cpu_summary([1.0, 2.0, 4.5]) == "2.50 s CPU on average, 4.50 s at most"
    assert cpu_summary([1.0, 2.0], 1) == "1.5 s CPU on average, 2.0 s at most"


def test_one_blas_thread_runs_the_function_with_one_thread():
    from threadpoolctl import threadpool_info

    def threads():
        return {info["num_threads"] for info in threadpool_info()}

    assert one_blas_thread(threads) <= {1}


def test_verdict():
    assert (verdict(_threshold(), 1.0), verdict(_threshold(), 1.5)) == ("pass", "FAIL")


def test_mutant_modules_yields_the_named_mutants_as_modules():
    from graders.assignments.autoencoder_numpy.slips import MUTANTS, UNUSUAL

    first, unusual = MUTANTS[0].name, UNUSUAL[0].name
    found = list(mutant_modules("autoencoder_numpy", names=[first, unusual]))
    assert [(kind, name) for kind, name, _ in found] == [("MUTANT", first), ("UNUSUAL", unusual)]
    assert all(hasattr(module, "train") for _, _, module in found)
    skipped = {name for _, name, _ in mutant_modules("autoencoder_numpy", skip=(first,))}
    assert first not in skipped and unusual in skipped


def test_mutant_modules_adds_the_slow_mutants_after_the_others_when_asked():
    from graders.assignments.language_model_numpy.slips import MUTANTS, SLOW_MUTANTS, UNUSUAL

    names = [MUTANTS[0].name, SLOW_MUTANTS[0].name, UNUSUAL[0].name]
    found = [(kind, name) for kind, name, _ in mutant_modules("language_model_numpy", names=names, slow=True)]
    assert found == [("MUTANT", names[0]), ("MUTANT", names[1]), ("UNUSUAL", names[2])]
    without = [name for _, name, _ in mutant_modules("language_model_numpy", names=names)]
    assert without == [names[0], names[2]]


def test_report_mutants_prints_a_line_each_or_what_it_raised(capsys):
    from graders.assignments.autoencoder_numpy.slips import MUTANTS

    names = [m.name for m in MUTANTS[:2]]

    def describe(module):
        if module.__name__ == names[1]:
            raise ValueError("boom")
        return "fine"

    report_mutants("autoencoder_numpy", describe, names=names, width=50)
    assert capsys.readouterr().out.splitlines() == [
        f"{'MUTANT':8s} {names[0]:50s} fine", f"{'MUTANT':8s} {names[1]:50s} raised ValueError: boom"]


def test_or_raised_gives_the_text_or_what_was_raised_cut_to_a_limit():
    assert or_raised("x: ", lambda: "fine") == "fine"
    assert or_raised("x: ", lambda: 1 / 0) == "x: raised ZeroDivisionError: division by zero"
    assert or_raised("", lambda: 1 / 0, 8) == "raised ZeroDivisionError: division"


# ----------------------------------------------------------------- declared checks, thresholds.json


def _threshold(bound: float = 1.0, dataset: str = "digits") -> Threshold:
    return Threshold(metric="m", bound=bound, higher_is_better=False, reference_values=(0.5,) * 5,
                     seeds=DATASET_SEEDS, margin=0.1, cpu_budget_s=5.0, dataset=dataset)


def _declared(key: str = "a", **changes) -> TrainedCheck:
    fields = dict(assignment="an_assignment", key=key, metric=f"metric {key}", higher_is_better=True, margin=0.2,
                  cpu_budget_s=1.0, settings={"digits": {"k": 1}, "mnist": {"k": 2}}, task="t", metric_key="x",
                  data={"digits": {"n_train": 50, "n_test": 20}})
    return TrainedCheck(**{**fields, **changes})


def test_load_calibration_data_names_the_data_set_and_takes_the_declared_sizes():
    name, data = load_calibration_data("digits", _declared())
    assert name == "digits" and len(data["x_train"]) == 50 and len(data["x_test"]) == 20


def test_calibrate_declared_uses_the_declared_metric_margin_budget_and_settings_and_warns(capsys):
    values = {s: 1.0 + s for s in DATASET_SEEDS}
    t = calibrate_declared(_declared(), values, [0.5], "digits")
    assert (t.metric, t.higher_is_better, t.margin, t.cpu_budget_s) == ("metric a", True, 0.2, 1.0)
    assert t.bound == pytest.approx(0.8) and t.settings == {"k": 1} and t.dataset == "digits"
    assert capsys.readouterr().out == ""
    assert calibrate_declared(_declared(), values, [0.5], "mnist").settings == {"k": 2}
    calibrate_declared(_declared(cpu_budget_s=1e-9), values, [0.5], "digits")
    assert capsys.readouterr().out == "WARNING: a took 0.5 s CPU > budget 1e-09 s\n"
    calibrate_declared(_declared(cpu_budget_s=1e-9), values, [0.5], "digits", verbose=False)
    assert capsys.readouterr().out == ""


def test_written_calibrations_read_back_as_the_same_bounds_and_keep_the_other_data_sets(tmp_path):
    checks = [_declared("a"), _declared("b", higher_is_better=False)]
    values = {s: 1.0 + s for s in DATASET_SEEDS}
    path = tmp_path / "thresholds.json"
    digits = {c.key: calibrate_declared(c, values, [], "digits") for c in checks}
    write_calibrations(path, {"a": calibrate_declared(checks[0], values, [], "mnist")})
    write_calibrations(path, digits)
    read = with_calibration(tmp_path, checks)
    assert read["a"].for_dataset("digits") == digits["a"] and read["b"].for_dataset("digits") == digits["b"]
    assert read["a"].for_dataset("mnist").settings == {"k": 2} and "mnist" not in read["b"].calibrated
    assert list(__import__("json").loads(path.read_text(encoding="utf-8"))) == ["digits", "mnist"]
    write_calibrations(path, {"a": calibrate_declared(checks[0], {s: 2.0 for s in DATASET_SEEDS}, [],
                                                                           "digits")})
    again = with_calibration(tmp_path, checks)
    assert again["a"].for_dataset("digits").bound == pytest.approx(1.6)
    assert again["b"].for_dataset("digits") == digits["b"]  # the other check of the data set is kept


# ----------------------------------------------------------------- --write on the real files

TRAINED = ["activity_recognition", "autoencoder_numpy", "autoencoders_torch", "char_rnn_numpy", "gan_torch",
           "language_model_numpy", "sequences_torch", "sparse_autoencoder", "transfer_torch", "vae_torch"]


@pytest.mark.parametrize("assignment", TRAINED)
def test_rewriting_a_thresholds_file_with_its_own_numbers_changes_no_byte(assignment, tmp_path):
    from pathlib import Path

    thresholds = importlib.import_module(f"graders.assignments.{assignment}.thresholds")
    shipped = Path(thresholds.__file__).with_name("thresholds.json")
    copy = tmp_path / "thresholds.json"
    copy.write_bytes(shipped.read_bytes())
    for declared in with_calibration(shipped.parent, thresholds.TRAINED_CHECKS).values():
        for dataset in declared.calibrated:
            write_calibrations(copy, {declared.key: declared.for_dataset(dataset)})
    assert copy.read_bytes() == shipped.read_bytes()


def test_every_assignment_with_trained_checks_is_rewritten_above():
    from graders.assignments import assignment_ids

    found = [a for a in assignment_ids()
             if importlib.util.find_spec(f"graders.assignments.{a}.thresholds") is not None]
    assert found == TRAINED


# ----------------------------------------------------------------- secret draws, variations


def test_calibration_draws_are_fixed_secrets_one_per_draw():
    from graders.tooling.calibration import calibration_secret

    a, again, b = (calibration_secret("autoencoder_numpy", d) for d in (0, 0, 1))
    assert a.seed("c", "train") == again.seed("c", "train") != b.seed("c", "train")
    assert calibration_secret("char_rnn_numpy", 0).seed("c", "train") != a.seed("c", "train")


def test_a_variation_edits_the_reference_and_every_edit_must_match_once():
    from graders.tooling.calibration import Variation, load_reference

    reference = load_reference("autoencoder_numpy")
    variant = Variation("re-associated", edits=(("db1 = dZ1.sum(axis=0)", "db1 = dZ1[::-1].sum(axis=0)"),))
    module = variant.module("autoencoder_numpy")
    assert module.train is not reference.train and module.forward.__module__ != reference.forward.__module__
    with pytest.raises(ValueError, match="occurs 0 times"):
        Variation("missing", edits=(("no such text", ""),)).module("autoencoder_numpy")


def test_secret_draws_are_at_least_five_known_secrets_that_differ():
    from graders.tooling.calibration import secret_draws

    draws = secret_draws("transfer_torch", 5)
    assert list(draws) == [0, 1, 2, 3, 4]
    assert len({d.seed("a check", "train") for d in draws.values()}) == 5
    assert secret_draws("transfer_torch")[3].seed("x") == draws[3].seed("x")  # the same secrets every time
    with pytest.raises(ValueError, match="at least 5"):
        secret_draws("transfer_torch", 4)


def test_the_worst_value_of_each_draw_over_its_variations_in_the_metrics_direction():
    from graders.tooling.calibration import worst_per_draw

    values = {(0, 0): 0.9, (0, 1): 0.8, (1, 0): 0.7, (1, 1): 0.95}
    assert worst_per_draw(values, higher_is_better=True) == {0: 0.8, 1: 0.7}
    assert worst_per_draw(values, higher_is_better=False) == {0: 0.9, 1: 0.95}


def test_perturbed_changes_each_entry_by_about_the_relative_size():
    import numpy as np

    from graders.tooling.calibration import perturbed

    x = np.linspace(1.0, 2.0, 1000)
    y = perturbed(x, 1e-12)
    assert 0 < np.max(np.abs(y / x - 1)) < 1e-11 and np.any(y != x)
    assert np.array_equal(perturbed(x, 0.0), x) and perturbed(x, 0.0) is not x
    assert np.max(np.abs(perturbed(x) / x - 1)) < 1e-11  # 1e-12 by default


def test_a_reference_variant_is_the_reference_with_one_edit_and_an_unusual_one_comes_from_the_mutants():
    from graders.tooling.calibration import reference_variant, unusual_variant

    module = reference_variant("transfer_torch", (("nn.AdaptiveAvgPool2d(1)", "nn.AdaptiveAvgPool2d((1, 1))"),))
    assert callable(module.replace_head)
    with pytest.raises(ValueError, match="occurs 0 times"):
        reference_variant("transfer_torch", (("no such text", ""),))
    assert callable(unusual_variant("sequences_torch", "forecaster_final_hidden_state").Forecaster)
    with pytest.raises(ValueError, match="no unusual submission"):
        unusual_variant("sequences_torch", "no_such_mutant")


def test_a_perturbed_init_variation_moves_the_initial_parameters_of_the_train_it_returns():
    import numpy as np

    from graders.tooling.calibration import Variation, load_reference

    train = Variation("init perturbed", perturb=1e-12).train_with_perturbed_init("char_rnn_numpy")
    moved = train.__globals__["init_params"](5, 4, 3)
    plain = load_reference("char_rnn_numpy").init_params(5, 4, 3)
    for key, value in plain.items():  # relative: the zero biases stay zero, the weights move
        assert np.allclose(moved[key], value, rtol=1e-10, atol=0)
        assert np.array_equal(moved[key], value) == (not value.any())
    same = Variation("as is").train_with_perturbed_init("char_rnn_numpy")
    assert np.array_equal(same.__globals__["init_params"](5, 4, 3)["Wxh"], plain["Wxh"])
