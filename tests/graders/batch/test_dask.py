"""The same batch on a Dask cluster, through its concurrent.futures interface.

The test starts a LocalCluster in this process (threads, no extra processes: cheap). It is
skipped where Dask's `distributed` is not installed (`pip install 'dlgrade[cluster]'`).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from graders.batch import run_batch

distributed = pytest.importorskip("distributed", reason="Dask's distributed is not installed (dlgrade[cluster])")

REPO = Path(__file__).resolve().parents[3]
REFERENCE = REPO / "reference" / "numpy" / "numpy_basics.py"
CHECK = ["relu: values on random inputs"]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as c:
        yield c


def _class(root: Path) -> Path:
    root.mkdir()
    shutil.copy(REFERENCE, root / "alice.py")
    (root / "bob.py").write_text("import numpy as np\ndef relu(z):\n    return 2 * np.maximum(z, 0)\n")
    (root / "carol.py").write_text("def relu(z:\n")  # a syntax error
    return root


def test_batch_on_a_dask_client_executor_matches_the_local_pool(cluster, tmp_path):
    root = _class(tmp_path / "subs")
    with distributed.Client(cluster) as client:
        on_dask = run_batch(root, "numpy_basics", tmp_path / "dask", executor=client.get_executor(),
                            checks=CHECK, progress=False)
    local = run_batch(root, "numpy_basics", tmp_path / "local", workers=2, checks=CHECK, progress=False)
    assert on_dask.gradebook.read_text() == local.gradebook.read_text()
    rows = {r["student"]: r for r in csv.DictReader(open(on_dask.gradebook))}
    assert [(n, r["status"], r["score"]) for n, r in rows.items()] == [
        ("alice", "graded", "1"), ("bob", "graded", "0"), ("carol", "graded", "0")]


def test_batch_given_a_scheduler_address_connects_and_grades(cluster, tmp_path):
    root = _class(tmp_path / "subs")
    result = run_batch(root, "numpy_basics", tmp_path / "out", dask=cluster.scheduler_address,
                       checks=CHECK, progress=False)
    assert sorted(result.graded) == ["alice", "bob", "carol"] and not result.errors
