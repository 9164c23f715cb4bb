"""The `sparse_autoencoder` grader beyond the mutants: slip names of the patch and cost
checks, the trained check's feedback and picture (with a stand-in context, no training),
and the template.

The buggy and unusual submissions of graders/assignments/sparse_autoencoder/slips.py are graded by
tests/graders/test_mutants.py (the slow ones with -m slow).
"""

from __future__ import annotations

import io
import types

import numpy as np
import pytest
from PIL import Image

from graders import assignments
from graders.assignments.sparse_autoencoder import (
    checks,
    checks_cost_gradients,
    checks_normalize,
    checks_sample_patches,
    checks_train,
    cost_problems,
)
from graders.assignments.sparse_autoencoder.thresholds import CHECK, SETTINGS, declared, graded_data, heldout_cost
from graders.engine.checks import CheckFailed, Kind
from graders.engine.runner import grade
from graders.engine.secret import fixed_secret
from reference.numpy import sparse_autoencoder as ref
from tests.mutants import REPO, Mutant, write_mutant

SPARSE = assignments.get("sparse_autoencoder")


class StandIn:
    """A Context whose `call` runs given Python functions in this process (for tests only)."""

    SECRET = fixed_secret("one course", "sparse_autoencoder")

    def __init__(self, **functions):
        self.functions = functions
        self.rng = np.random.default_rng(0)
        self.artifacts = []
        self.session = types.SimpleNamespace(secret=self.SECRET)
        self.check = types.SimpleNamespace(threshold=declared()[CHECK])

    def call(self, name, *args, **kwargs):
        return self.functions[name](*args, **kwargs)

    def attach(self, title, png):
        self.artifacts.append({"title": title, "png": png})


def test_checks_cover_the_contract_with_the_required_names():
    cs = SPARSE.all_checks()
    names = [c.name for c in cs]
    assert {n.split(":")[0] for n in names} == set(checks.CONTRACT)
    assert "cost: tied-weight gradient" in names
    for term in ("every term on", "reconstruction term alone", "weight-decay term alone", "sparsity (KL) term alone"):
        assert any(n.startswith("cost: gradient") and term in n for n in names), term
    (train,) = [c for c in cs if c.name == CHECK]
    assert train.kind is Kind.THRESHOLD and train.timeout_s >= 120
    assert SPARSE.limits.cpu_s >= train.timeout_s  # the CPU limit never cuts a slow, correct train short


def test_locate_patches_names_a_column_major_flattening():
    images = checks_sample_patches._distinct_images(np.random.default_rng(0), 2, 6, 7)
    patches = ref.sample_patches(images, 3, 10, seed=1)
    assert len(checks_sample_patches._locate_patches(images, patches, 3)) == 10
    transposed = patches.reshape(10, 3, 3).transpose(0, 2, 1).reshape(10, 9)
    with pytest.raises(CheckFailed, match="contiguous") as info:
        checks_sample_patches._locate_patches(images, transposed, 3)
    assert "column by column" in info.value.slip


def test_locate_patches_names_a_strip_of_consecutive_pixels():
    images = checks_sample_patches._distinct_images(np.random.default_rng(0), 1, 6, 7)
    strip = images[0].ravel()[8:17][None]  # starts at row 1, column 1
    with pytest.raises(CheckFailed) as info:
        checks_sample_patches._locate_patches(images, strip, 3)
    assert "consecutive pixels" in info.value.slip


def test_normalize_variants_differ_from_the_reference():
    P = checks_normalize._raw_patches(np.random.default_rng(0))
    right = ref.normalize_patches(P)
    for words, value in checks_normalize._normalize_variants(P).items():
        assert not np.allclose(value, right, atol=1e-6), words


def test_sparsity_leak_is_recognised_only_when_present():
    params, X = cost_problems.cost_problem(np.random.default_rng(0))
    rec = ref.cost(params, X, cost_problems.RHO, 0.0, 0.0)[1]
    kl1 = {k: ref.cost(params, X, cost_problems.RHO, 1.0, 0.0)[1][k] - rec[k] for k in cost_problems.KEYS}
    assert checks_cost_gradients._sparsity_leak(params, X, rec) is None
    leaked = {k: rec[k] + kl1[k] for k in cost_problems.KEYS}
    assert checks_cost_gradients._sparsity_leak(params, X, leaked) == pytest.approx(1.0)
    other = {k: 2 * rec[k] for k in cost_problems.KEYS}
    assert checks_cost_gradients._sparsity_leak(params, X, other) is None


def test_tied_known_slips_are_the_average_and_the_single_paths():
    params, X = cost_problems.cost_problem(np.random.default_rng(1))
    enc, dec = checks_cost_gradients._tied_paths(params, X)
    np.testing.assert_allclose(enc + dec, ref.cost(params, X, cost_problems.RHO, 0.0, 0.0)[1]["W"], rtol=1e-12)
    known = checks_cost_gradients._tied_known(params, X)
    assert any("AVERAGES" in w and np.allclose(v, (enc + dec) / 2) for w, v in known.items())


def _plateau_params(d=64, k=SETTINGS["n_hidden"]):
    X_train = graded_data(StandIn.SECRET)["X_train"]
    mean = X_train.mean(axis=0)
    rho = SETTINGS["rho"]
    return {"W": np.zeros((d, k)), "b_h": np.full(k, np.log(rho / (1 - rho))), "b_v": np.log(mean / (1 - mean))}


def test_train_check_names_the_plateau_and_attaches_the_filters():
    params = _plateau_params()
    params["W"] = np.random.default_rng(0).normal(0, 1e-6, size=params["W"].shape)
    ctx = StandIn(train=lambda X, *args: (params, [0.5] * SETTINGS["epochs"]))
    with pytest.raises(CheckFailed) as info:
        checks_train.check_train_held_out(ctx)
    assert "plateau" in info.value.slip and "Adam" in info.value.slip
    assert declared()[CHECK].for_dataset("sample_photos").describe() == info.value.expected
    (art,) = ctx.artifacts
    assert art["title"] == "learned filters"
    assert Image.open(io.BytesIO(art["png"])).format == "PNG"


def test_train_check_receives_the_grader_data_and_the_contract_settings():
    seen = {}

    def train(X, n_hidden, rho, beta, lam, lr, epochs, seed):
        seen.update(X=X, args=(n_hidden, rho, beta, lam, lr, epochs, seed))
        return {"W": np.zeros((64, n_hidden)), "b_h": np.zeros(n_hidden)}, []

    with pytest.raises(CheckFailed, match="missing key"):
        checks_train.check_train_held_out(StandIn(train=train))
    data = graded_data(StandIn.SECRET)
    np.testing.assert_array_equal(seen["X"], data["X_train"])
    s = SETTINGS
    assert seen["args"] == (s["n_hidden"], s["rho"], s["beta"], s["lam"], s["lr"], s["epochs"], data["seed"])


def test_the_graded_patches_are_a_secret_draw_with_the_pixels_in_a_secret_order():
    a, b = graded_data(StandIn.SECRET), graded_data(fixed_secret("another course", "sparse_autoencoder"))
    assert a["X_train"].shape == (SETTINGS["n_train"], 64) and a["X_test"].shape == (SETTINGS["n_test"], 64)
    assert a["seed"] != b["seed"] and not np.array_equal(a["pixels"], b["pixels"])
    assert sorted(a["pixels"]) == list(range(64)) and not np.array_equal(a["pixels"], np.arange(64))
    assert a["X_train"].min() >= 0.1 and a["X_train"].max() <= 0.9
    a["X_train"][0, 0] = -1.0  # a copy: the next grade gets the draw unchanged
    assert graded_data(StandIn.SECRET)["X_train"][0, 0] != -1.0


def test_the_filters_picture_puts_the_pixels_back_in_place():
    pixels = np.random.default_rng(0).permutation(64)
    W = np.arange(64.0)[:, None] * np.ones((1, 3))
    np.testing.assert_array_equal(checks_train.unpermuted(W[pixels], pixels), W)


def test_filters_png_is_a_grid_of_patches():
    W = np.random.default_rng(0).normal(size=(64, 25))
    img = Image.open(io.BytesIO(checks_train.filters_png(W, scale=1)))
    assert img.size == (5 * 9 + 1, 5 * 9 + 1) and img.mode == "L"
    img = Image.open(io.BytesIO(checks_train.filters_png(np.zeros((16, 3)), scale=2)))  # flat filters are fine
    assert img.size == (2 * (2 * 5 + 1), 2 * (2 * 5 + 1))


def test_template_notebook_grades_to_zero_with_not_implemented_feedback():
    report = grade(str(REPO / "student_templates" / "sparse_autoencoder.ipynb"), SPARSE,
                   select=lambda name: not name.startswith("train"))
    assert report.score == 0
    assert all("Not implemented" in t.output for t in report.tests)


def test_init_params_accepts_glorots_r_without_the_plus_1(tmp_path):
    """r = sqrt(6 / (n_visible + n_hidden)) is 0.6% larger than the template's: accepted."""
    glorot = Mutant("init_params_glorot_r", "    r = np.sqrt(6.0 / (n_visible + n_hidden + 1))",
                    "    r = np.sqrt(6.0 / (n_visible + n_hidden))")
    report = grade(str(write_mutant("sparse_autoencoder", glorot, tmp_path)), SPARSE,
                   select=lambda name: name.startswith("init_params"))
    assert [t.passed for t in report.tests] == [True, True]


def test_normalize_accepts_the_sample_std_with_a_note(tmp_path):
    matlab = Mutant("normalize_ddof_1", "    s = 3.0 * P.std() ", "    s = 3.0 * P.std(ddof=1) ")
    report = grade(str(write_mutant("sparse_autoencoder", matlab, tmp_path)), SPARSE,
                   select=lambda name: name.startswith("normalize_patches"))
    assert all(t.passed for t in report.tests)
    assert any("ddof=1" in t.output for t in report.tests)


# ------------------------------------------------------------------ named diagnoses, only when seen


def test_nans_on_the_flat_patches_are_named_as_zero_over_zero_and_other_nans_are_not():
    P = np.arange(12.0).reshape(3, 4)
    P[1] = 7.0  # a flat patch
    slip = checks_normalize.flat_patch_slip(P)
    on_flat = np.zeros(P.shape, dtype=bool)
    on_flat[1] = True
    assert "0 / 0" in slip(on_flat) and "one s per patch" in slip(on_flat)
    elsewhere = on_flat.copy()
    elsewhere[0, 0] = True
    assert slip(elsewhere) is None
    assert checks_normalize.flat_patch_slip(np.arange(12.0).reshape(3, 4))(on_flat) is None


def test_corners_never_drawn_name_the_bound_they_show():
    slip = checks_sample_patches.position_slip
    H, W, p = 5, 8, 3
    all_rows, all_cols = set(range(H - p + 1)), set(range(W - p + 1))
    assert "height" in slip({0, 1}, all_rows, set(range(H - p + 1)), 2, H, W, p)
    assert "off-by-one in the column" in slip({0, 1}, all_rows, set(range(W - p)), 2, H, W, p)
    assert "off-by-one in the row" in slip({0, 1}, set(range(H - p)), all_cols, 2, H, W, p)
    assert "image index" in slip({0}, all_rows, all_cols, 2, H, W, p)
    middle = slip({0, 1}, all_rows, all_cols - {2}, 2, H, W, p)
    assert "middle" in middle and "off-by-one" not in middle


@pytest.mark.parametrize("seed", [0, 1])
def test_heldout_cost_is_the_reference_cost(seed):
    """The trained check's metric, computed in the grader's process without the reference
    module, is the number the reference's cost gave (and so the calibrated bound still holds)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.1, 0.9, size=(50, 16))
    untrained = ref.init_params(16, 5, seed)
    trained = ref.train(X, 5, SETTINGS["rho"], SETTINGS["beta"], SETTINGS["lam"], 0.01, 20, seed)
    trained = trained[0] if isinstance(trained, tuple) else trained
    wild = {k: v * 20.0 for k, v in untrained.items()}  # hidden units saturated
    for params in (untrained, trained, wild):
        expected, _ = ref.cost(params, X, SETTINGS["rho"], SETTINGS["beta"], SETTINGS["lam"])
        assert heldout_cost(params, X) == pytest.approx(expected, rel=1e-12, abs=1e-15)
