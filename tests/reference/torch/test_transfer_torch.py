"""Tests of the transfer_torch reference, the pretrained base and the sandbox tasks."""

import copy
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from graders.assignments.transfer_torch import tasks, tasks_probes
from graders.assignments.transfer_torch.base_model import (BINARY_CLASSES, PRETRAIN_CLASSES, TRANSFER_CLASSES,
                                                           WEIGHTS, digits_split, load_weights, pretrained_base)

REF = Path(__file__).resolve().parents[3] / "reference" / "torch" / "transfer_torch.py"


def _load():
    spec = importlib.util.spec_from_file_location("transfer_torch_ref", REF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load()
X = torch.rand(16, 1, 8, 8)


def _base():
    torch.manual_seed(0)
    return tasks.build_base()


# ----------------------------------------------------------------------------- freeze


def test_freeze_turns_off_every_gradient():
    base = ref.freeze(_base())
    assert all(not p.requires_grad for p in base.parameters())


@pytest.mark.parametrize("make_opt", [
    lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    lambda ps: torch.optim.Adam(ps, lr=0.1, weight_decay=0.01),
])
def test_frozen_base_is_unchanged_by_optimizer_steps_in_train_mode(make_opt):
    base = pretrained_base()
    before = copy.deepcopy(base.state_dict())
    ref.freeze(base)
    model = ref.replace_head(base, tasks.N_FEATURES, 5)
    model.train()
    opt = make_opt(model.parameters())
    for _ in range(3):
        loss = model(X).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    for k, v in base.state_dict().items():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)  # weights AND running statistics


def test_frozen_batchnorm_uses_running_statistics_even_after_model_train():
    base = pretrained_base()
    with torch.no_grad():
        expected = base.eval()(X)
    ref.freeze(base)
    model = nn.Sequential(base, nn.Flatten())
    model.train()
    with torch.no_grad():
        got = base(X)
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


def test_freezing_twice_is_harmless_and_a_deepcopy_stays_frozen():
    base = ref.freeze(ref.freeze(pretrained_base()))
    clone = copy.deepcopy(base)
    stats = clone[1].running_mean.clone()
    clone.train()
    with torch.no_grad():
        clone(X)
    torch.testing.assert_close(clone[1].running_mean, stats, rtol=0, atol=0)
    assert len(base[1]._forward_pre_hooks) == 1


# ----------------------------------------------------------------------------- unfreeze_from


@pytest.mark.parametrize("index", range(11))
def test_unfreeze_from_makes_exactly_the_later_children_trainable(index):
    base = ref.freeze(_base())
    ref.unfreeze_from(base, index)
    for i, child in enumerate(base.children()):
        for p in child.parameters():
            assert p.requires_grad == (i >= index)


def test_unfreeze_from_also_freezes_the_earlier_children_of_a_trainable_model():
    base = _base()
    ref.unfreeze_from(base, tasks.FINE_TUNE_FROM)
    trainable = sum(p.numel() for p in base.parameters() if p.requires_grad)
    assert trainable == 18496 + 128  # conv3 + bn3


def test_after_unfreeze_frozen_batchnorm_keeps_statistics_and_released_one_trains():
    base = pretrained_base()
    ref.freeze(base)
    ref.unfreeze_from(base, 7)
    bn1, bn3 = base[1].running_mean.clone(), base[8].running_mean.clone()
    base.train()
    with torch.no_grad():
        base(X)
    torch.testing.assert_close(base[1].running_mean, bn1, rtol=0, atol=0)
    assert not torch.allclose(base[8].running_mean, bn3)


# ----------------------------------------------------------------------------- count_params


def test_count_params_of_the_base_all_and_trainable():
    base = _base()
    assert ref.count_params(base) == 23520
    ref.freeze(base)
    assert ref.count_params(base, trainable_only=True) == 0
    ref.unfreeze_from(base, 7)
    assert ref.count_params(base, trainable_only=True) == 18624
    assert ref.count_params(base) == 23520


def test_count_params_ignores_buffers_and_counts_shared_tensors_once():
    a, b = nn.Linear(4, 4), nn.Linear(4, 4)
    b.weight = a.weight
    model = nn.Sequential(a, nn.BatchNorm1d(4), b)
    assert ref.count_params(model) == 16 + 4 + 8 + 4
    assert ref.count_params(model) == tasks._counts(model)[0] + tasks._counts(model)[1]


# ----------------------------------------------------------------------------- replace_head


@pytest.mark.parametrize("n_classes,n_out", [(2, 1), (3, 3), (5, 5)])
def test_replace_head_output_shape_and_trainable_count(n_classes, n_out):
    base = ref.freeze(pretrained_base())
    model = ref.replace_head(base, tasks.N_FEATURES, n_classes)
    assert model(X).shape == (16, n_out)
    assert ref.count_params(model, trainable_only=True) == tasks.N_FEATURES * n_out + n_out


def test_replace_head_is_global_average_pooling_then_linear_on_the_same_base():
    base = ref.freeze(pretrained_base())
    model = ref.replace_head(base, tasks.N_FEATURES, 5).eval()
    assert any(m is base for m in model.modules())  # not a copy
    linear = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    with torch.no_grad():
        expected = linear(base(X).mean(dim=(2, 3)))
        torch.testing.assert_close(model(X), expected)


# ----------------------------------------------------------------------------- pretrained base


def test_shipped_weights_are_plain_float_arrays_for_the_base_and_its_head():
    with np.load(WEIGHTS, allow_pickle=False) as z:
        assert all(z[k].dtype.kind == "f" for k in z.files)
        keys = set(z.files)
    assert {f"base.{k}" for k in tasks.build_base().state_dict()} | {"head.weight", "head.bias"} == keys


def test_pretrained_classifier_recognises_the_held_out_digits_zero_to_four():
    model = tasks.load_classifier(load_weights())
    _, _, Xte, yte = digits_split(PRETRAIN_CLASSES, test_fraction=0.2, seed=0)
    with torch.no_grad():
        pred = model(torch.tensor(Xte, dtype=torch.float32).reshape(-1, 1, 8, 8)).argmax(1).numpy()
    assert (pred == yte).mean() > 0.98


def test_digit_splits_are_disjoint_and_cover_the_classes():
    Xtr, ytr, Xte, yte = digits_split(TRANSFER_CLASSES)
    assert set(ytr) == set(yte) == set(TRANSFER_CLASSES)
    assert len(Xtr) + len(Xte) == int(np.isin(tasks_digits_labels(), TRANSFER_CLASSES).sum())


def tasks_digits_labels():
    from dlgrade.data import load_digits

    return load_digits()[1]


# ----------------------------------------------------------------------------- tasks


def test_freeze_and_head_probes_are_clean_for_the_reference():
    Xtr = digits_split(TRANSFER_CLASSES)[0][:12]
    r = tasks_probes.task_freeze_probe(ref, str(WEIGHTS), Xtr)
    assert r["base_param_change"] == r["base_buffer_change"] == r["train_vs_eval"] == 0.0
    assert r["base_grads"] == 0 and r["output_shape"] == [12, 5]
    assert r["trainable"] == r["student_count_trainable"] == 325
    assert r["trainable"] + r["frozen"] == r["student_count_all"]
    for k in (2, 5):
        h = tasks_probes.task_head_probe(ref, load_weights(), Xtr, n_classes=k)
        assert h["max_diff"] < 1e-5


def test_layer_counts_task_per_child():
    r = tasks_probes.task_layer_counts(ref, 7)
    assert [layer["trainable"] for layer in r["layers"]] == [0] * 7 + [18496, 128, 0]
    assert r["layers"][1]["bn_stats_updated"] is False and r["layers"][8]["bn_stats_updated"] is True
    assert (r["trainable"], r["frozen"]) == (18624, 4896)
    assert r["student_count_trainable"] == 18624 and r["student_count_all"] == 23520


def test_count_params_task_expected_equals_reference():
    for name, v in tasks_probes.task_count_params(ref).items():
        assert v["student"] == v["expected"], name


def test_transfer_task_binary_head_has_one_output_and_wrong_heads_are_reported():
    from graders.assignments.transfer_torch.checks_trained import accuracy, base_drift, trainable_count

    Xtr, ytr, Xte, yte = digits_split(BINARY_CLASSES)
    r = tasks.task_transfer_train(ref, load_weights(), Xtr, ytr, epochs_head=2, fine_tune_from=7, epochs_fine=1)
    assert r["output_shape"] == [3, 1] and trainable_count(r["params_head"]) == 65
    assert base_drift(r["base_after_head"]) == 0.0
    assert trainable_count(r["params_fine"]) == 65 + 18624
    logits = tasks.task_transfer_logits(ref, load_weights(), 2, r["state_head"], Xte)
    assert logits.shape == (len(Xte), 1) and 0.5 < accuracy(logits, yte, BINARY_CLASSES) <= 1.0

    class TwoOutputs:
        freeze, unfreeze_from, count_params = ref.freeze, ref.unfreeze_from, ref.count_params

        @staticmethod
        def replace_head(base, n_features, n_classes):
            return nn.Sequential(base, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(n_features, n_classes))

    with pytest.raises(ValueError, match="shape"):
        tasks.task_transfer_train(TwoOutputs, load_weights(), Xtr, ytr, epochs_head=1)


@pytest.mark.slow
def test_pretrain_regenerates_the_shipped_weights():
    from graders.assignments.transfer_torch import pretrain

    assert pretrain.main(["--check"]) == 0


@pytest.mark.slow
def test_a_calibration_draw_passes_the_written_thresholds():
    from graders.assignments.transfer_torch import calibrate
    from graders.assignments.transfer_torch.thresholds import CHECK_FINE, CHECK_HEAD, CLASSES, data_set, declared
    from graders.tooling.calibration import secret_draws

    bounds = declared()
    for key in CLASSES:
        r = calibrate.transfer_run(ref, key, secret_draws("transfer_torch")[0])
        assert bounds[CHECK_HEAD[key]].for_dataset(data_set(key)).passes(r["head_accuracy"])
        assert bounds[CHECK_FINE[key]].for_dataset(data_set(key)).passes(r["fine_accuracy"])
        assert r["task_cpu_seconds"] < bounds[CHECK_HEAD[key]].for_dataset(data_set(key)).cpu_budget_s
