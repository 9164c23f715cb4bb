"""The HTML report: self-contained, escaped, with the pictures checks attach; and the pictures.

The last test renders a page in headless Chromium (Debian's `chromium`) and checks the
screenshot: not blank, dark text on it, and the attached picture really drawn. It is
skipped where chromium is not installed.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from graders.engine.assignment import Assignment
from graders.engine.checks import Check, CheckFailed, Picture, Report
from graders.engine.checks import TestResult as Result  # not collected by pytest
from graders.engine.runner import grade
from graders.reports import FORMATS, render
from graders.reports import pictures as P
from graders.reports.html import CSS, check_feedback_html, pictures_of, render_fragment, render_html
from graders.sandbox.limits import Limits
from tests import numpy_basics_totals

EVIL = "<script>alert('x')</script> & <b>bold</b>"


def _png(colour=(0, 0, 255), size=(200, 100)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


def _report(**kw) -> Report:
    tests = [
        Result("relu: values", 1.0, 1.0, "passed", "", "value", "visible", "1", 0.01),
        Result(f"relu_backward: {EVIL}", 0.0, 2.0, "failed", f"Expected: 1\nGot: {EVIL}", "gradient", "hidden",
               "2", 0.2, extra={"pictures": [{"title": f"heatmap {EVIL}", "png": _png()}]}),
    ]
    defaults = dict(assignment="numpy_basics", submission=f"{EVIL}.ipynb", tests=tests, execution_time=1.5,
                    output=f"printed {EVIL}", load_messages=[f"cell 2 raised {EVIL}"])
    defaults.update(kw)
    return Report(**defaults)


def test_html_is_a_format_of_render():
    assert "html" in FORMATS
    assert render(_report(), "html") == render_html(_report())


def test_every_student_text_is_escaped():
    page = render_html(_report())
    assert "<script" not in page and "<b>bold</b>" not in page
    assert page.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;") >= 5


def test_page_is_self_contained():
    page = render_html(_report())
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "<link" not in page and "<script" not in page and "@import" not in page
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


def test_pictures_are_inline_data_uris_with_their_titles():
    page = render_html(_report())
    uri = "data:image/png;base64," + base64.b64encode(_png()).decode()
    assert uri in page
    assert "<figcaption>heatmap &lt;script&gt;" in page


def test_score_and_hidden_checks_note_and_load_messages_are_shown():
    page = render_html(_report(hidden_not_run=3))
    assert "Score: 1 / 3" in page and "1 of 2 checks passed" in page
    assert "3 hidden check(s) were not run" in page
    assert "Notes on loading your submission" in page and "What your code printed" in page


def test_only_pngs_are_embedded_and_base64_text_is_accepted():
    good = base64.b64encode(_png()).decode()
    t = Result("f: x", 0, 1, "failed", "no", "value", "visible", extra={"pictures": [
        {"title": "gif", "png": b"GIF89a...."}, {"title": "text", "png": "not base64!"},
        {"title": "ok", "png": good}, "not a dict", {"title": "missing"}]})
    assert [title for title, _ in pictures_of(t)] == ["ok"]
    assert check_feedback_html(t).count("<img") == 1


def test_css_is_scoped_to_the_report_so_a_notebook_page_is_untouched():
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{", CSS) for s in block.split(",")]
    assert selectors and all(s.startswith(".dlgrade-report") for s in selectors)
    fragment = render_fragment(_report(), note="Only the visible checks were run")
    assert fragment.startswith('<div class="dlgrade-report">') and "Only the visible checks were run" in fragment


# ---------------------------------------------------------------- the runner keeps pictures

REFERENCE = "def double(x):\n    return 2 * x\n"


def _check_attaches(ctx):
    ctx.attach("a blue square", _png())
    return "fine"


def _check_attaches_then_fails(ctx):
    ctx.attach("what went wrong", _png((255, 0, 0)))
    raise CheckFailed("double: wrong")


def _check_fails_with_a_heatmap(ctx):
    raise CheckFailed("double: gradient wrong", pictures=[
        Picture("gradient_error", "gradient error", {"yours": np.ones(4), "numeric": np.ones(4) * 2})])


def _check_fails_with_a_png_it_drew(ctx):
    raise CheckFailed("double: wrong", pictures=[{"title": "drawn by the check", "png": _png()}, {"title": "x"}])


def test_runner_puts_attached_pictures_into_each_test_result(tmp_path):
    ref = tmp_path / "reference.py"
    ref.write_text(REFERENCE, encoding="utf-8")
    checks = [Check("double: attaches", _check_attaches), Check("double: attaches, fails", _check_attaches_then_fails),
              Check("double: heatmap", _check_fails_with_a_heatmap), Check("double: nothing", lambda ctx: None),
              Check("double: png", _check_fails_with_a_png_it_drew)]
    a = Assignment(id="tiny", title="t", contract=("double",), checks=lambda o: iter(checks), reference=ref,
                   limits=Limits(cpu_s=60, memory_mb=2048, startup_s=20))
    report = grade(str(ref), a)
    pics = [[p.title for p in t.pictures] for t in report.tests]
    assert pics == [["a blue square"], ["what went wrong"], ["gradient error"], [], ["drawn by the check"]]
    assert [t.status for t in report.tests] == ["passed", "failed", "failed", "passed", "failed"]
    assert report.tests[0].pictures[0] == Picture("png", "a blue square", {"png": _png()})
    assert report.tests[2].pictures[0].kind == "gradient_error"  # data: the report draws it
    page = render_html(report)
    assert page.count("<img") == 4


# ---------------------------------------------------------------- pictures


def _open(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    img = Image.open(io.BytesIO(png))
    img.load()
    return img.convert("RGB")


@pytest.mark.parametrize("batch", [np.random.default_rng(0).random((5, 64)),            # flat 8x8
                                   np.random.default_rng(0).random((3, 1, 6, 6)),         # torch NCHW
                                   np.random.default_rng(0).random((2, 5, 5, 3)),         # RGB
                                   np.array([[np.nan, np.inf, 0.5, 1.0]])])               # odd values
def test_image_grid_draws_any_batch_of_images(batch):
    img = _open(P.image_grid([batch, batch], ["input", "yours"]))
    assert img.width > 20 and img.height > 20


def test_line_plot_and_scatter_survive_odd_data():
    for png in (P.line_plot({"yours": [3, 2, np.nan, 1], "reference": ([0, 1, 2], [3, 1, 0.5])}, log_y=True),
                P.line_plot({"flat": [1, 1, 1]}), P.line_plot({}),
                P.scatter(np.random.default_rng(0).random((50, 2)), np.arange(50) % 10),
                P.scatter(np.full((3, 2), np.nan))):
        assert len(np.unique(np.asarray(_open(png)).reshape(-1, 3), axis=0)) > 1


def test_scatter_with_labels_has_a_legend_with_each_label_in_its_colour():
    points = np.random.default_rng(0).random((30, 2))
    legend = P.scatter_figure(points, np.arange(30) % 3).axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["0", "1", "2"]  # only the labels present
    colours = [tuple(round(v * 255) for v in h.get_facecolor()[0][:3]) for h in legend.legend_handles]
    assert colours == P.PALETTE[:3]
    assert P.scatter_figure(points).axes[0].get_legend() is None  # no labels, no legend
    assert len(np.unique(np.asarray(_open(P.scatter(points, np.arange(30) % 3))).reshape(-1, 3), axis=0)) > 3


def test_line_plot_has_axes_labels_a_legend_and_tick_labels_inside_the_picture():
    fig = P.line_plot_figure({"a": ([0, 1000], [0, 1]), "b": [1, 2]}, size=(200, 120), ylabel="loss")
    ax = fig.axes[0]
    fig.canvas.draw()
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "loss"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    drawn = [t for t, v in zip(ax.get_xticklabels(), ax.get_xticks()) if x0 <= v <= x1]
    drawn += [t for t, v in zip(ax.get_yticklabels(), ax.get_yticks()) if y0 <= v <= y1]
    assert len(drawn) >= 4
    for label in drawn:
        if label.get_text():
            ext = label.get_window_extent(renderer)
            assert box.x0 - 1 <= ext.x0 and ext.x1 <= box.x1 + 1, label.get_text()


def test_gradient_heatmap_marks_the_wrong_entries_red_and_the_right_ones_white():
    yours = np.ones((4, 6))
    numeric = yours.copy()
    numeric[1] *= 2  # row 1 wrong
    fig = P.gradient_error_figure(yours, numeric)
    image = fig.axes[0].get_images()[0]
    rgba = image.to_rgba(image.get_array())
    assert (rgba[[0, 2, 3], :, :3] == 1.0).all()  # white: within tolerance
    assert (rgba[1, :, 0] > 0.6).all() and (rgba[1, :, 1] < 0.25).all()  # dark red


def test_gradient_heatmap_has_index_labels_ticks_and_a_colour_bar():
    fig = P.gradient_error_figure(np.ones((4, 6)), np.ones((4, 6)) * 2)
    ax, bar = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("column index", "row index")
    assert [int(t) for t in ax.get_xticks() if 0 <= t <= 5] == [0, 1, 2, 3, 4, 5]
    assert "tolerance" in bar.get_ylabel()
    png = _open(P.gradient_error_heatmap(np.ones((4, 6)), np.ones((4, 6)) * 2))
    assert png.width >= 400 and png.height >= 200


def test_gradient_heatmap_of_sampled_entries_draws_unchecked_ones_grey():
    fig = P.gradient_error_figure([1.0, 5.0], [1.0, 1.0], indices=[(0, 0), (1, 1)], shape=(2, 2))
    image = fig.axes[0].get_images()[0]
    rgba = image.to_rgba(image.get_array())
    assert tuple(round(v * 255) for v in rgba[0, 1, :3]) == P.GREY  # (0, 1) not checked
    assert "grey: not checked" in fig.axes[0].get_title()


# ---------------------------------------------------------------- a real browser


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed (apt-get install chromium)")
def test_page_renders_in_headless_chromium_with_text_and_the_picture(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render_html(_report()), encoding="utf-8")
    shot = tmp_path / "shot.png"
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,1600",
           page.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert shot.is_file(), proc.stderr[-2000:]
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert img.shape[:2] == (1600, 1200)
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 50  # not one colour: text, badges, picture
    dark = (img.sum(axis=2) < 200).sum()
    assert dark > 2000  # text is drawn
    blue = ((img[..., 2] > 230) & (img[..., 0] < 30) & (img[..., 1] < 30)).sum()
    assert blue > 0.8 * 200 * 100  # the attached 200x100 blue picture is on the page
    red = ((img[..., 0] > 170) & (img[..., 1] < 60) & (img[..., 2] < 60)).sum()
    assert red > 100  # the FAIL badge


# ---------------------------------------------------------------- where the HTML report appears


def test_cli_grade_writes_an_html_report(tmp_path):
    from dlgrade.cli import main

    out = tmp_path / "report.html"
    ref = Path(__file__).resolve().parents[3] / "reference" / "numpy" / "numpy_basics.py"
    assert main(["grade", str(ref), "-a", "numpy_basics", "--format", "html", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and f"Score: {numpy_basics_totals()[1]} / {numpy_basics_totals()[1]}" in page


def test_self_check_in_a_jupyter_kernel_displays_html_and_text_once_and_returns_nothing(monkeypatch, capsys):
    import sys
    import types

    import graders.assignments
    from dlgrade.selfcheck import check_notebook

    shown = []
    shell = types.SimpleNamespace(kernel=object(), user_ns={"In": ["", "def relu(z):\n    return z * (z > 0)\n"]})
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    display_mod = types.ModuleType("IPython.display")
    display_mod.display = lambda obj, raw=False: shown.append((obj, raw))
    ipython.display = display_mod
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_mod)
    numpy_basics = graders.assignments.get("numpy_basics")
    assert check_notebook("numpy_basics", path=str(numpy_basics.reference), show=True) is None
    assert capsys.readouterr().out == ""  # shown, not printed
    (bundle, raw), = shown
    assert raw and set(bundle) == {"text/html", "text/plain"}
    assert 'class="dlgrade-report"' in bundle["text/html"]
    assert f"Score: {numpy_basics_totals()[1]} / {numpy_basics_totals()[1]}" in bundle["text/plain"]
    assert "hidden" not in bundle["text/plain"].lower()  # numpy_basics has no hidden checks
