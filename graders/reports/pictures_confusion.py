"""Pictures of a trained classifier for feedback, drawn with matplotlib (Agg: no display):

    confusion_matrices({"yours": counts, "reference": counts}, labels)   side by side
    loss_curves({"yours": history, "reference (mean)": history})          one line per series

A check returns them as data (`Picture("confusion_matrices", data=...)`, `Picture("loss_curves",
data=...)`); graders.reports.drawing draws them for the HTML report, beside the check's
feedback. Every function takes NumPy arrays (plain data, validated by the grader) and
returns PNG bytes; non-finite values are left out of a curve (or shown as "nan" in a
cell), never raised on: feedback must not crash on odd data.
"""

from __future__ import annotations

import io

import numpy as np

MAX_CLASSES = 30  # above this the cells would be unreadable: the matrix is drawn without numbers


def _figure(width: float, height: float):
    # matplotlib's own Figure, not pyplot: no global state, no backend switch for the process
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=90, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def confusion_matrices(matrices: dict[str, np.ndarray], labels: list[str] | None = None, *,
                       title: str = "") -> bytes:
    """The (K, K) matrices side by side, rows the true class and columns the predicted one,
    each cell shaded by its share of its row and labelled with its count."""
    items = [(name, np.asarray(m, dtype=np.float64)) for name, m in matrices.items()]
    k = max(m.shape[0] for _, m in items)
    labels = [str(l)[:14] for l in (labels or range(k))]
    side = 1.2 + 0.55 * min(k, MAX_CLASSES)
    figure = _figure(side * len(items) + 0.6, side + 0.6)
    axes = figure.subplots(1, len(items), squeeze=False)[0]
    for ax, (name, m) in zip(axes, items):
        totals = m.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(totals > 0, m / np.where(totals > 0, totals, 1.0), 0.0)
        ax.imshow(np.nan_to_num(share), cmap="Blues", vmin=0.0, vmax=1.0)
        if k <= MAX_CLASSES:
            for i in range(m.shape[0]):
                for j in range(m.shape[1]):
                    value = m[i, j]
                    text = "nan" if not np.isfinite(value) else f"{value:.3g}"
                    ax.text(j, i, text, ha="center", va="center", fontsize=8,
                            color="white" if share[i, j] > 0.6 else "black")
        ax.set_xticks(range(m.shape[1]), labels[:m.shape[1]], rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(m.shape[0]), labels[:m.shape[0]], fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        accuracy = np.trace(m) / m.sum() if m.sum() > 0 else float("nan")
        ax.set_title(f"{name}: accuracy {accuracy:.2f}", fontsize=10)
    if title:
        figure.suptitle(title, fontsize=11)
    return _png(figure)


def loss_curves(series: dict[str, np.ndarray], *, title: str = "", xlabel: str = "epoch",
                ylabel: str = "mean training loss") -> bytes:
    """One line per named series (x = 1, 2, ...); non-finite points are left out."""
    figure = _figure(6.0, 3.6)
    ax = figure.subplots()
    for name, values in series.items():
        y = np.asarray(values, dtype=np.float64).ravel()
        x = np.arange(1, y.size + 1)
        finite = np.isfinite(y)
        ax.plot(x[finite], y[finite], label=str(name)[:40], linewidth=1.5)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    if any(np.isfinite(np.asarray(v, dtype=np.float64)).any() for v in series.values()):
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _png(figure)
