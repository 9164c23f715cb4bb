"""graders.reports.drawing: pictures travel as data and are drawn only by a report that shows
them; a gradient check's failure carries its per-entry errors, not a PNG."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from graders.engine.checks import CheckFailed, Picture, Report
from graders.engine.checks import TestResult as Result  # not collected by pytest
from graders.engine.gradcheck import assert_gradient
from graders.reports.drawing import draw, drawn_pictures, has_pictures
from graders.reports.html import render_html

ROOT = Path(__file__).resolve().parents[3]
PNG = b"\x89PNG\r\n\x1a\n"
RNG = np.random.default_rng(0)

EVERY_KIND = [
    Picture("gradient_error", "g", {"yours": np.ones(3), "numeric": np.array([1.0, 2.0, np.nan]),
                                    "indices": [(0, 0), (0, 1), (1, 1)], "shape": (2, 2)}),
    Picture("image_grid", "i", {"rows": [RNG.uniform(size=(3, 64)), RNG.uniform(size=(3, 64))],
                                "labels": ["input", "yours"]}),
    Picture("line_plot", "l", {"series": {"yours": [3.0, 2.0, 1.0]}, "xlabel": "epoch"}),
    Picture("scatter", "s", {"points": RNG.normal(size=(20, 2)), "labels": RNG.integers(0, 3, 20)}),
    Picture("heatmap", "h", {"values": RNG.uniform(size=(4, 5))}),
    Picture("confusion_matrices", "c", {"matrices": {"yours": np.eye(3) * 5}, "labels": ["a", "b", "c"]}),
    Picture("loss_curves", "lc", {"series": {"yours": [2.0, 1.0]}}),
]


@pytest.mark.parametrize("picture", EVERY_KIND, ids=[p.kind for p in EVERY_KIND])
def test_every_kind_of_picture_is_drawn_as_a_png(picture):
    assert draw(picture).startswith(PNG)


UNDRAWABLE = [Picture("no_such_kind", "x", {}), Picture("line_plot", "x", {"nope": 1}),
              Picture("png", "x", {"png": b"GIF89a"}), Picture("image_grid", "x", {"rows": [np.ones((2, 3, 4, 5, 6))]})]


@pytest.mark.parametrize("picture", UNDRAWABLE)
def test_a_picture_that_cannot_be_drawn_is_left_out_not_raised(picture):
    assert draw(picture) is None
    assert drawn_pictures(Result("f: x", 0, 1, "failed", "no", "value", "visible", pictures=[picture])) == []


def test_drawn_pictures_come_before_pictures_already_drawn_and_both_reach_the_page():
    png = draw(EVERY_KIND[2])
    t = Result("f: x", 0, 1, "failed", "no", "value", "visible", pictures=[EVERY_KIND[0]],
               extra={"pictures": [{"title": "old", "png": png}]})
    assert has_pictures(t) and [title for title, _ in drawn_pictures(t)] == ["g", "old"]
    page = render_html(Report(assignment="a", submission="s", tests=[t], execution_time=0.0))
    assert page.count("<img") == 2


def test_a_failed_gradient_check_carries_the_per_entry_errors_as_data():
    params = {"W": np.arange(6.0).reshape(2, 3) + 1}
    with pytest.raises(CheckFailed) as caught:
        assert_gradient(lambda p: float(np.sum(p["W"] ** 2)), params, "W", 3 * params["W"], "f",
                        rng=np.random.default_rng(1))
    (picture,) = caught.value.pictures
    assert picture.kind == "gradient_error" and picture.data["shape"] == (2, 3)
    assert np.allclose(picture.data["numeric"], 2 * params["W"].ravel(), atol=1e-4)
    assert np.allclose(picture.data["yours"], 3 * params["W"].ravel())
    assert draw(picture).startswith(PNG)


PROBE = """
import sys
import numpy as np
from graders.engine.checks import CheckFailed, Report, TestResult
from graders.engine.gradcheck import assert_gradient
from graders.reports import render
params = {"W": np.ones((2, 3))}
try:
    assert_gradient(lambda p: float(np.sum(p["W"] ** 2)), params, "W", 3 * params["W"], "f",
                    rng=np.random.default_rng(1))
except CheckFailed as exc:
    failure = exc
result = TestResult("f: g", 0, 1, "failed", failure.render(), "gradient", "visible", summary=failure.summary,
                    pictures=failure.pictures)
report = Report(assignment="a", submission="s", tests=[result], execution_time=0.0)
for fmt in ("text", "json", "junit", "gradescope"):
    render(report, fmt)
print(sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib"))
"""


def test_a_failure_in_a_text_or_json_report_costs_no_matplotlib_import():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
