"""The shared torch task helpers: the one copy every torch assignment's task files use."""

from __future__ import annotations

import ast
import importlib.util

import numpy as np
import pytest
import torch

from graders import assignments
from graders.engine.evaluation import TORCH_TASKS

SHARED_HELPERS = ("setup", "tensor", "array", "state_arrays", "state_arrays_float64", "load_state", "build")
# the local names the task files used for copies of the shared helpers
COPIED_NAMES = {"_setup", "_seed", "_tensor", "_array", "_np", "_state_arrays"}


def _torch_task_files():
    files = []
    for aid, manifest in assignments.manifests().items():
        if "torch" in manifest.preload:
            files += sorted((assignments.HERE / aid).glob("tasks*.py"))
    return files


def _shared():
    spec = importlib.util.spec_from_file_location("_test_torch_tasks", TORCH_TASKS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", _torch_task_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_torch_task_file_defines_its_own_copy_of_a_shared_helper(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert not defined & COPIED_NAMES, f"{path}: use graders/engine/torch_tasks.py for {defined & COPIED_NAMES}"


def test_the_shared_file_defines_every_helper_the_task_files_take():
    shared = _shared()
    assert all(callable(getattr(shared, name, None)) for name in SHARED_HELPERS)


def test_state_arrays_float64_copies_every_entry_as_float64_integer_buffers_included():
    shared = _shared()
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    state = shared.state_arrays_float64(model)
    assert set(state) == set(model.state_dict())
    assert all(a.dtype == np.float64 for a in state.values())
    np.testing.assert_array_equal(state["0.weight"], model[0].weight.detach().double().numpy())
    state["0.weight"][:] = 7.0
    assert not torch.any(model[0].weight == 7.0)
