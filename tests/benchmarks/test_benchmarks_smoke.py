"""Smoke tests of benchmarks/: each script runs in --quick mode and gives a well-formed result.

Speed is never asserted here (the numbers live in docs/benchmarks.md); only that every
benchmark runs end to end on tiny sizes and that what it reports is consistent.
"""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_course, bench_trained_evaluation, bench_wire
from benchmarks import (bench_grade, bench_gradcheck, bench_memory, bench_sandbox_start, bench_throughput, run_all,
                        sandbox_start_forkserver)
from benchmarks.common import check_result, markdown, result


def quick(module) -> dict:
    res = module.run(quick=True, repeats=1)
    assert check_result(res) == []
    assert res["rows"], "a benchmark must report at least one row"
    assert markdown(res).count("\n|") == len(res["rows"]) + 2  # header, rule, one line per row
    return res


@pytest.fixture(scope="module")
def gradcheck_result():
    return quick(bench_gradcheck)


def test_gradcheck_quick_checks_every_function_with_every_method_and_finds_the_planted_bug(gradcheck_result):
    res = gradcheck_result
    methods = set(bench_gradcheck.METHODS)
    functions = {r["function"] for r in res["rows"]}
    assert {"autoencoder 8-4-8", "LSTM sequence loss"} <= functions
    for function in functions:
        rows = [r for r in res["rows"] if r["function"] == function]
        assert {r["method"] for r in rows} == methods
        for r in rows:
            assert r["evals"] > 0 and r["time (s)"] >= 0
            if r["gradient"] == "right":
                assert r["verdict"] == "right", r
            else:
                bug_key = r["gradient"].split("bug: d")[1].split(" ")[0]
                assert r["verdict"] == f"wrong: {bug_key}", r
                assert r["localised"].startswith("yes"), r


def test_gradcheck_ours_costs_three_probes_of_two_evaluations_per_tensor_when_right(gradcheck_result):
    res = gradcheck_result
    ae = next(r for r in res["rows"] if r["function"].startswith("autoencoder") and r["gradient"] == "right"
              and r["method"].startswith("ours"))
    assert ae["evals"] == 3 * 2 * 4 and ae["grads"] == 1


def test_sandbox_start_quick_reports_the_sandbox_and_the_bare_interpreter():
    res = quick(bench_sandbox_start)
    whats = {r["what"] for r in res["rows"]}
    assert "Sandbox: fresh interpreter" in whats
    if bench_sandbox_start.fork_server_supported():
        assert "Sandbox: fork server already running" in whats
    assert any(w.startswith("python -c") for w in whats)
    assert any(w.startswith("nbclient") for w in whats) or any("skipped" in n for n in res["notes"])
    for row in res["rows"]:
        if row["what"].startswith("Sandbox"):
            assert row["first result (s)"] >= row["start (s)"] > 0


def test_sandbox_start_forkserver_quick_reports_both_launchers():
    res = quick(sandbox_start_forkserver)
    assert {"fresh interpreter", "fork server"} <= {r["launcher"] for r in res["rows"]}


def test_grade_quick_gives_the_reference_full_marks():
    res = quick(bench_grade)
    (row,) = res["rows"]
    assert row["assignment"] == "numpy_basics"
    got, full = row["score"].split("/")
    assert got == full and row["checks"] > 0 and row["calls"] > 0


def test_throughput_quick_grades_the_class_with_one_and_two_workers():
    res = quick(bench_throughput)
    assert {r["workers"] for r in res["rows"]} == {1, 2}
    assert all(r["submissions / min"] > 0 for r in res["rows"])


def test_memory_quick_reports_positive_peaks():
    res = quick(bench_memory)
    row = next(r for r in res["rows"] if r["grading"] == "numpy_basics")
    assert row["grader process peak RSS (MB)"] > 0 and row["sandbox process peak RSS (MB)"] > 0


class FakeBenchmark:
    """Stands in for a benchmark module, to test run_all's plumbing without running one again."""

    calls: list = []

    @classmethod
    def run(cls, quick, repeats):
        cls.calls.append((quick, repeats))
        return result("fake", "A fake benchmark", ["a"], [{"a": 1.5}], ["a note"])


def test_course_quick_records_the_class_and_finds_the_planted_copies():
    res = quick(bench_course)
    assert [r["students"] for r in res["rows"]] == [20, 20, 20]
    assert res["rows"][1]["result"].startswith("3 of 3 planted copies flagged")


def test_run_all_covers_every_benchmark_and_writes_json(tmp_path, capsys, monkeypatch):
    assert set(run_all.BENCHMARKS.values()) == {
        bench_gradcheck, bench_sandbox_start, sandbox_start_forkserver, bench_grade, bench_throughput, bench_memory,
        bench_course, bench_wire, bench_trained_evaluation}
    monkeypatch.setattr(run_all, "BENCHMARKS", {name: FakeBenchmark for name in run_all.BENCHMARKS})
    out = tmp_path / "results.json"
    assert run_all.main(["--quick", "--only", "grade", "memory", "--json", str(out)]) == 0
    assert FakeBenchmark.calls == [(True, 1), (True, 1)]
    data = json.loads(out.read_text())
    assert [r["benchmark"] for r in data["results"]] == ["fake", "fake"]
    assert data["machine_before"]["cpus"] >= 1
    assert "### A fake benchmark" in capsys.readouterr().out


@pytest.mark.parametrize("bad", [{}, {"benchmark": "x", "title": "t", "columns": ["a"], "rows": [{"b": 1}],
                                       "notes": [], "settings": {}}])
def test_check_result_rejects_malformed_results(bad):
    assert check_result(bad)
