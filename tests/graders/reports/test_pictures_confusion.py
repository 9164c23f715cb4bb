"""graders.reports.pictures_confusion: PNGs of confusion matrices side by side and of loss
curves, drawn whatever the data (non-finite values included)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from graders.reports.pictures_confusion import confusion_matrices, loss_curves

PNG = b"\x89PNG\r\n\x1a\n"


def _size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG)
    return Image.open(io.BytesIO(png)).size


def test_two_matrices_are_drawn_side_by_side():
    one = _size(confusion_matrices({"yours": np.eye(4, dtype=np.int64) * 10}, ["a", "b", "c", "d"]))
    two = _size(confusion_matrices({"yours": np.eye(4) * 10, "reference": np.full((4, 4), 2.5)},
                                   ["Standing", "Running", "Walking", "Badminton"], title="LSTM"))
    assert two[0] > 1.6 * one[0]


def test_odd_matrices_still_give_a_picture():
    nan = np.array([[np.nan, 1.0], [0.0, 0.0]])
    assert _size(confusion_matrices({"empty rows": np.zeros((2, 2)), "nan": nan}))[0] > 0
    assert _size(confusion_matrices({"many classes": np.ones((40, 40))}))[0] > 0


def test_loss_curves_leave_out_non_finite_points():
    png = loss_curves({"yours": [1.0, np.nan, 0.5, np.inf], "reference (mean)": np.linspace(1.2, 0.3, 10)})
    assert _size(png)[0] > 100
    assert _size(loss_curves({"yours": [np.nan, np.nan]}))[0] > 100
