"""A notebook's outputs (plots, printed text) are dropped when it is read and do not count
against the submission's size limit: a correct notebook carrying 6 MB of plots gets full
marks in both modes; code over the limit is still refused."""

from __future__ import annotations

import base64
import json

import pytest

from graders.engine.runner import grade
from graders.engine.source import MAX_BYTES, read_submission
from tests.hostile import corpus

MODES = ("default", "autograder")
REFERENCE = (corpus.REPO / "reference" / "numpy" / "numpy_basics.py").read_text(encoding="utf-8")
FUNCTIONS = {"relu", "softmax"}


def _notebook(code: str, plot_bytes: int) -> dict:
    png = base64.b64encode(b"\x89PNG" + b"\0" * plot_bytes).decode("ascii")
    outputs = [{"output_type": "display_data", "data": {"image/png": png, "text/plain": ["<Figure>"]},
                "metadata": {}},
               {"output_type": "stream", "name": "stdout", "text": ["loss 0.1\n"] * 1000}]
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {"dlgrade": {"assignment": "numpy_basics"}},
            "cells": [{"id": "c1", "cell_type": "code", "source": code, "metadata": {}, "outputs": outputs,
                       "execution_count": 7},
                      {"id": "m1", "cell_type": "markdown", "source": "![plot](attachment:p.png)", "metadata": {},
                       "attachments": {"p.png": {"image/png": png}}}]}


@pytest.mark.parametrize("mode", MODES)
def test_a_correct_notebook_with_6_mb_of_plots_gets_full_marks(mode, tmp_path, monkeypatch):
    if mode == "autograder" and not corpus.protections()["root"]:
        pytest.skip("autograder mode's user switch needs root")
    path = tmp_path / "hw.ipynb"
    path.write_text(json.dumps(_notebook(REFERENCE, 3 * 1024 * 1024)), encoding="utf-8")
    assert path.stat().st_size > 6 * 1024 * 1024 > MAX_BYTES
    source = read_submission(path)
    assert not source.problems and source.assignment == "numpy_basics"
    report = grade(str(path), corpus.fast_assignment(FUNCTIONS, properties=False), isolation=mode)
    assert report.score == report.max_score > 0, [t.output for t in report.tests if not t.passed]


def test_code_over_the_limit_is_refused_even_without_outputs(tmp_path):
    path = tmp_path / "hw.ipynb"
    path.write_text(json.dumps(_notebook("x = 1\n" * (MAX_BYTES // 6 + 10), 0)), encoding="utf-8")
    source = read_submission(path)
    assert source.problems and "without its outputs" in source.problems[0]


def test_an_nbformat_3_notebook_loses_its_outputs_too(tmp_path):
    png = base64.b64encode(b"\0" * (6 * 1024 * 1024)).decode("ascii")
    nb = {"nbformat": 3, "nbformat_minor": 0, "metadata": {},
          "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1\n", "language": "python",
                                     "outputs": [{"output_type": "display_data", "png": png}],
                                     "prompt_number": 1, "metadata": {}}], "metadata": {}}]}
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    source = read_submission(path)
    assert not source.problems and source.cells == [("<cell 1>", "x = 1\n")]
