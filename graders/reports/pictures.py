"""PNG pictures for feedback, drawn with matplotlib (the Agg backend; no display, no pyplot state).

A check returns a picture as data (`ctx.attach(title, Picture(kind, data=...))`, or
`CheckFailed(..., pictures=[...])`); graders.reports.drawing draws it with the function of that
kind, only for the reports that show pictures (the HTML report, Gradescope's and PrairieLearn's
HTML output), beside the check's feedback. Pictures say more than a number for:

    image_grid([inputs, reconstructions], ["input", "yours"])   inputs beside reconstructions,
                                                                 learned filters, GAN samples
    line_plot({"yours": losses, "reference": ref_losses})        a loss curve beside the reference's
    scatter(codes_2d, labels)                                    a latent space, coloured by class
    gradient_error_heatmap(yours, numeric)                       where a gradient is wrong

Every function takes NumPy arrays (plain data returned by the sandbox) and returns PNG bytes;
each has a `*_figure` twin that returns the matplotlib Figure (what the tests inspect: axes,
ticks, legends, colour bars). Non-finite values are drawn grey, never raised on: feedback
must not crash on odd data.
"""

from __future__ import annotations

import io

import numpy as np

# matplotlib's "tab10" colours, as RGB bytes: the colour of label k is PALETTE[k % 10]
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
GREY = (200, 200, 200)
DPI = 100
MAX_INCHES = 16.0  # 1600 px at DPI
MIN_SIZE = (320, 240)  # px: room for ticks, axis labels and a legend


def _rgb(c: tuple[int, int, int]) -> tuple[float, float, float]:
    return tuple(v / 255 for v in c)


def new_figure(width_px: float, height_px: float):
    """A Figure on the Agg canvas (no pyplot: nothing global is touched)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(min(width_px / DPI, MAX_INCHES), min(height_px / DPI, MAX_INCHES)), dpi=DPI,
                 layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def to_png(fig) -> bytes:
    """PNG bytes of a matplotlib Figure (or of a PIL image, as before)."""
    buf = io.BytesIO()
    if hasattr(fig, "savefig"):
        fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    else:
        fig.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _as_images(batch) -> np.ndarray:
    """(N, H, W), (N, H, W, 3) or (N, D) with D a square (or 3 squares) -> float (N, H, W[, 3])."""
    a = np.asarray(batch, dtype=np.float64)
    if a.ndim == 2:
        n, d = a.shape
        side = int(round(np.sqrt(d)))
        if side * side == d:
            return a.reshape(n, side, side)
        side = int(round(np.sqrt(d / 3)))
        if 3 * side * side == d:
            return a.reshape(n, side, side, 3)
        return a.reshape(n, 1, d)
    if a.ndim == 4 and a.shape[1] in (1, 3) and a.shape[-1] not in (1, 3):  # torch's (N, C, H, W)
        a = np.moveaxis(a, 1, -1)
    if a.ndim == 4 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (3, 4):
        raise ValueError(f"cannot draw an array of shape {a.shape} as images")
    return a


def _scaled_rgb(img: np.ndarray, lo: float | None, hi: float | None) -> np.ndarray:
    """An image as RGB floats in [0, 1] (grey scale for 2-D), non-finite pixels GREY."""
    finite = np.isfinite(img)
    vals = img[finite]
    lo = float(vals.min()) if lo is None and vals.size else (lo if lo is not None else 0.0)
    hi = float(vals.max()) if hi is None and vals.size else (hi if hi is not None else 1.0)
    scaled = np.clip((np.where(finite, img, lo) - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
    if scaled.ndim == 2:
        scaled = np.stack([scaled] * 3, axis=-1)
    mask = ~finite if finite.ndim == 2 else ~finite.all(axis=-1)
    scaled[mask] = _rgb(GREY)
    return scaled


def image_grid_figure(rows, labels=None, *, scale: int = 3, lo: float | None = 0.0, hi: float | None = 1.0,
                      max_columns: int = 16):
    batches = [_as_images(r)[:max_columns] for r in rows]
    labels = list(labels or [""] * len(batches))
    cols = max((len(b) for b in batches), default=1) or 1
    h = max((b.shape[1] for b in batches), default=1) * max(scale, 2)
    w = max((b.shape[2] for b in batches), default=1) * max(scale, 2)
    fig = new_figure(max(cols * (w + 6) + 90, 200), max(len(batches) * (h + 8) + 20, 80))
    grid = fig.subplots(max(len(batches), 1), cols, squeeze=False)
    for r, row_axes in enumerate(grid):
        batch = batches[r] if r < len(batches) else []
        for c, ax in enumerate(row_axes):
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(batch):
                ax.imshow(_scaled_rgb(batch[c], lo, hi), interpolation="nearest")
            else:
                ax.set_axis_off()
        if r < len(labels) and labels[r]:
            row_axes[0].set_ylabel(str(labels[r]), rotation=0, ha="right", va="center")
    return fig


def image_grid(rows, labels=None, **kwargs) -> bytes:
    """One row of images per batch, labelled on the left (lo/hi=None: each image scaled to its range)."""
    return to_png(image_grid_figure(rows, labels, **kwargs))


def line_plot_figure(series: dict, *, title: str = "", xlabel: str = "step", ylabel: str = "",
                     size: tuple[int, int] = (640, 360), log_y: bool = False):
    fig = new_figure(max(size[0], MIN_SIZE[0]), max(size[1], MIN_SIZE[1]))  # smaller cannot hold the labels
    ax = fig.add_subplot()
    drawn = 0
    for i, (name, data) in enumerate(series.items()):
        if isinstance(data, tuple) and len(data) == 2:
            x, y = (np.asarray(d, dtype=np.float64).ravel() for d in data)
        else:
            y = np.asarray(data, dtype=np.float64).ravel()
            x = np.arange(len(y), dtype=np.float64)
        n = min(len(x), len(y))
        x, y = x[:n], y[:n]
        ok = np.isfinite(x) & np.isfinite(y) & ((y > 0) if log_y else True)
        ax.plot(x[ok], y[ok], color=_rgb(PALETTE[i % len(PALETTE)]), label=str(name),
                marker="o" if ok.sum() == 1 else None, linewidth=2)
        drawn += int(ok.any())
    if log_y and drawn:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if series:
        ax.legend(loc="best", fontsize="small")
    return fig


def line_plot(series: dict, **kwargs) -> bytes:
    """Curves {name: y values} (or {name: (x, y)}) on common axes, with a legend."""
    return to_png(line_plot_figure(series, **kwargs))


def scatter_figure(points, labels=None, *, title: str = "", size: tuple[int, int] = (480, 480)):
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    lab = np.zeros(len(p), dtype=int) if labels is None else np.asarray(labels).astype(int).ravel()
    ok = np.isfinite(p).all(axis=1)
    fig = new_figure(max(size[0], MIN_SIZE[0]), max(size[1], MIN_SIZE[1]))
    ax = fig.add_subplot()
    for k in sorted(set(lab[ok].tolist())):
        sel = ok & (lab == k)
        ax.scatter(p[sel, 0], p[sel, 1], s=10, color=_rgb(PALETTE[k % len(PALETTE)]),
                   label=str(k) if labels is not None else None)
    if labels is not None and ok.any():
        ax.legend(title="label", fontsize="small", loc="best", markerscale=1.5)
    ax.set_title(title)
    ax.set_xlabel("dimension 1")
    ax.set_ylabel("dimension 2")
    return fig


def scatter(points, labels=None, **kwargs) -> bytes:
    """2-D points (a latent space), coloured by integer label, with a legend of the labels."""
    return to_png(scatter_figure(points, labels, **kwargs))


def _as_matrix(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    return a.reshape(-1, a.shape[-1])


def heatmap_figure(values, *, title: str = "", cell: int | None = None, lo: float | None = None,
                   hi: float | None = None, legend: tuple[str, str] = ("low", "high"), colorbar_label: str = ""):
    """A matrix as white (lo) to dark red (hi) cells, row and column indices on the axes, a colour
    bar; NaN cells grey (not measured)."""
    from matplotlib.colors import LinearSegmentedColormap

    m = _as_matrix(values)
    rows, cols = m.shape
    cell = cell or int(np.clip(480 // max(rows, cols, 1), 2, 24))
    finite = np.isfinite(m)
    lo = float(m[finite].min()) if lo is None and finite.any() else (lo or 0.0)
    hi = float(m[finite].max()) if hi is None and finite.any() else (hi if hi is not None else 1.0)
    cmap = LinearSegmentedColormap.from_list("error", [(1, 1, 1), (180 / 255, 0, 0)]).with_extremes(
        bad=_rgb(GREY))
    fig = new_figure(max(cols * cell + 220, 440), max(rows * cell + 120, 220))
    ax = fig.add_subplot()
    image = ax.imshow(np.ma.masked_invalid(m), cmap=cmap, vmin=lo, vmax=hi if hi > lo else lo + 1,
                      interpolation="nearest", aspect="auto")
    ax.set_xlabel("column index")
    ax.set_ylabel("row index")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=10, integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=10, integer=True))
    ax.set_title(title + ("" if finite.all() else "\n(grey: not checked)"), fontsize="medium")
    bar = fig.colorbar(image, ax=ax, shrink=0.9)
    bar.set_label(colorbar_label or f"{legend[0]} → {legend[1]}")
    return fig


def heatmap(values, **kwargs) -> bytes:
    """A matrix as white (lo) to dark red (hi) cells; NaN cells grey (not measured)."""
    return to_png(heatmap_figure(values, **kwargs))


def gradient_error_figure(yours, numeric, *, rtol: float = 1e-5, atol: float = 1e-8, indices=None, shape=None,
                          title: str = ""):
    if indices is not None:
        full_y = np.full(shape, np.nan)
        full_n = np.full(shape, np.nan)
        for idx, a, b in zip(indices, np.ravel(yours), np.ravel(numeric)):
            full_y[tuple(idx)], full_n[tuple(idx)] = a, b
        yours, numeric = full_y, full_n
    y = np.asarray(yours, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    # error in units of the allowed tolerance, log10: 0 is at the tolerance, 3 is 1000 times over
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.abs(y - n) / (atol + rtol * np.maximum(np.abs(y), np.abs(n)))
        err = np.log10(np.maximum(ratio, 1e-3))
    err[~np.isfinite(y) & np.isfinite(n)] = 6.0  # yours is NaN/inf where numeric is finite: wrong
    return heatmap_figure(err, title=title or "gradient error per entry",
                          lo=0.0, hi=max(3.0, float(np.nanmax(err)) if np.isfinite(err).any() else 3.0),
                          colorbar_label="log10(error / tolerance)")


def gradient_error_heatmap(yours, numeric, **kwargs) -> bytes:
    """Per-parameter gradient error: |yours - numeric| in units of the allowed tolerance, log scale.

    yours, numeric: full arrays of one parameter's gradient; or, with `indices` (the entries
    checked) and `shape`, the values at those entries only (the others are drawn grey).
    """
    return to_png(gradient_error_figure(yours, numeric, **kwargs))
