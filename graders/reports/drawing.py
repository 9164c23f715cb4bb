"""Drawing a check's pictures: `Picture` data (graders.engine.checks) to PNG bytes.

Checks return pictures as data (the per-entry errors of a gradient, a batch of images, a
loss curve); only a report that shows pictures (the HTML report, Gradescope's and
PrairieLearn's HTML output) draws them, here, with the functions of `pictures.py` and
`pictures_confusion.py`. A picture that cannot be drawn (odd data, an unknown kind) is left
out: a picture is a bonus, never a reason to lose the feedback.
"""

from __future__ import annotations

import base64
import binascii
import logging

from graders.engine.checks import Picture, TestResult

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PICTURE_BYTES = 4 * 1024 * 1024
_LOG = logging.getLogger("dlgrade")


def _drawers() -> dict:
    from graders.reports import pictures, pictures_confusion

    return {
        "gradient_error": pictures.gradient_error_heatmap,
        "image_grid": pictures.image_grid,
        "line_plot": pictures.line_plot,
        "scatter": pictures.scatter,
        "heatmap": pictures.heatmap,
        "confusion_matrices": pictures_confusion.confusion_matrices,
        "loss_curves": pictures_confusion.loss_curves,
    }


def draw(picture: Picture) -> bytes | None:
    """PNG bytes of the picture; None if it cannot be drawn."""
    if picture.kind == "png":
        return _png_or_none(picture.data.get("png"))
    drawer = _drawers().get(picture.kind)
    if drawer is None:
        _LOG.warning("no drawing for a picture of kind %r", picture.kind)
        return None
    try:
        return _png_or_none(drawer(**picture.data))
    except Exception as exc:  # odd data from a submission must not cost the report
        _LOG.warning("picture %r (%s) could not be drawn: %s", picture.title, picture.kind, exc)
        return None


def _png_or_none(data) -> bytes | None:
    if isinstance(data, str):  # base64 text (a report read back from JSON)
        try:
            data = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return None
    if isinstance(data, (bytes, bytearray)) and bytes(data[:8]) == PNG_SIGNATURE \
            and len(data) <= MAX_PICTURE_BYTES:
        return bytes(data)
    return None


def has_pictures(test: TestResult) -> bool:
    """Whether the result has any picture to show (nothing is drawn)."""
    return bool(test.pictures) or bool((test.extra or {}).get("pictures"))


def drawn_pictures(test: TestResult) -> list[tuple[str, bytes]]:
    """(title, PNG bytes) of each of the result's pictures, drawn: its `Picture`s, then any
    already drawn in extra["pictures"] ({"title", "png"}); what is not a PNG is left out."""
    found = []
    for picture in test.pictures or ():
        if isinstance(picture, Picture):
            png = draw(picture)
            if png is not None:
                found.append((str(picture.title), png))
    for legacy in (test.extra or {}).get("pictures", []) or []:
        if isinstance(legacy, dict):
            png = _png_or_none(legacy.get("png"))
            if png is not None:
                found.append((str(legacy.get("title", "")), png))
    return found
