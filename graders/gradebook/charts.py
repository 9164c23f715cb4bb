"""The dashboard's pictures, drawn with matplotlib (Agg, through graders.reports.pictures' figures)."""

from __future__ import annotations

import numpy as np

from graders.reports.pictures import PALETTE, new_figure, to_png


def _rgb(c):
    return tuple(v / 255 for v in c)


def score_histogram(scores: list[float], max_score: float | None, *, title: str = "") -> bytes:
    """How many students got each score (final scores, after penalties and overrides)."""
    values = np.asarray([s for s in scores if s is not None], dtype=np.float64)
    top = max_score if max_score else (float(values.max()) if values.size else 1.0)
    fig = new_figure(640, 320)
    ax = fig.add_subplot()
    bins = np.linspace(0, top, min(21, max(int(top), 1) + 1)) if top > 0 else 10
    ax.hist(values, bins=bins, color=_rgb(PALETTE[0]), edgecolor="white")
    if values.size:
        ax.axvline(float(np.median(values)), color=_rgb(PALETTE[3]), linestyle="--",
                   label=f"median {np.median(values):g}")
        ax.legend(loc="upper left")
    ax.set_xlabel(f"score (out of {top:g})")
    ax.set_ylabel("students")
    ax.set_title(title)
    ax.yaxis.get_major_locator().set_params(integer=True)
    return to_png(fig)


def pass_rate_bars(names: list[str], rates: list[float], *, title: str = "") -> bytes:
    """One horizontal bar per check: the share of graded students who passed it."""
    fig = new_figure(760, max(160, 26 * len(names) + 90))
    ax = fig.add_subplot()
    y = np.arange(len(names))
    colours = [_rgb(PALETTE[2]) if r >= 0.8 else _rgb(PALETTE[1]) if r >= 0.5 else _rgb(PALETTE[3]) for r in rates]
    ax.barh(y, [100 * r for r in rates], color=colours)
    ax.set_yticks(y, [n if len(n) <= 60 else n[:57] + "..." for n in names], fontsize="small")
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("students who passed (%)")
    ax.set_title(title)
    ax.grid(True, axis="x", alpha=0.3)
    return to_png(fig)
