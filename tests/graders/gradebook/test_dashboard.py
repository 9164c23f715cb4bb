"""The class dashboard: the sections an instructor needs, everything escaped, nothing fetched,
and a page that really renders (headless Chromium, when installed)."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from graders.gradebook.dashboard import render_dashboard, write_dashboard
from graders.gradebook.db import open_gradebook
from tests.graders.gradebook.class_db import EVIL, SLIP, make_db


@pytest.fixture()
def page(tmp_path) -> str:
    make_db(tmp_path / "g.sqlite")
    with open_gradebook(tmp_path / "g.sqlite") as conn:
        return render_dashboard(conn)


def test_dashboard_has_distribution_pass_rates_slips_similarities_and_history(page):
    for heading in ("Pass rate per check", "Most common diagnosed slips", "Flagged similarities",
                    "Per-student history"):
        assert heading in page
    assert page.count("data:image/png;base64,") == 2  # score distribution, pass rates
    # the most common slip: check 0 failed by the 6 odd students and the hostile one (student000 regraded)
    row = re.search(r'<td class="num">(\d+) \((\d+)%\)</td><td>mse_loss: check 0</td><td>([^<]+)</td>', page)
    assert row and row.group(1) == "7" and row.group(3).startswith("divided by N twice")
    assert "Expected: 0.5" in page  # an example feedback text
    assert "student001 / student002" in page and "<mark>" in page  # a flagged pair, passages marked
    assert "override" in page and "dlgrade 0.2.0" in page  # history: a regrade and an override


def test_everything_from_submissions_is_escaped_and_nothing_is_fetched(page):
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", page)  # only inline images and anchors
    assert "default-src 'none'" in page
    assert SLIP in page


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed (apt-get install chromium)")
def test_dashboard_renders_in_headless_chromium_with_text_and_charts(tmp_path):
    make_db(tmp_path / "g.sqlite")
    with open_gradebook(tmp_path / "g.sqlite") as conn:
        page = write_dashboard(conn, tmp_path / "dash")
    shot = tmp_path / "shot.png"
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1280,1400",
           page.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert shot.is_file(), proc.stderr[-2000:]
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert img.shape[:2] == (1400, 1280)
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 50
    assert (img.sum(axis=2) < 200).sum() > 2000  # text is drawn
    # the histogram's bars (matplotlib's tab:blue, 31 119 180) are on the page
    blue = ((abs(img[..., 0] - 31) < 12) & (abs(img[..., 1] - 119) < 12) & (abs(img[..., 2] - 180) < 12)).sum()
    assert blue > 3000
    # and the pass-rate bars: green (>= 80%) and red (< 50%) ones
    green = ((abs(img[..., 0] - 44) < 12) & (abs(img[..., 1] - 160) < 12) & (abs(img[..., 2] - 44) < 12)).sum()
    assert green > 1000
