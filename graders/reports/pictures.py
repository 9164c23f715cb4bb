"""Small PNG pictures for feedback, drawn with Pillow only (no matplotlib needed).

A check attaches one with `ctx.attach(title, png_bytes)`; the HTML report and Gradescope's
HTML output show it beside the check's feedback. Pictures say more than a number for:

    image_grid([inputs, reconstructions], ["input", "yours"])   inputs beside reconstructions,
                                                                 learned filters, GAN samples
    line_plot({"yours": losses, "reference": ref_losses})        a loss curve beside the reference's
    scatter(codes_2d, labels)                                    a latent space, coloured by class
    gradient_error_heatmap(yours, numeric)                       where a gradient is wrong

Every function takes NumPy arrays (plain data returned by the sandbox) and returns PNG bytes.
Non-finite values are drawn grey, never raised on: feedback must not crash on odd data.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
GREY = (200, 200, 200)
TEXT = (20, 20, 20)
MAX_SIDE = 1600


def _font(size: int = 13):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: a fixed bitmap font
        return ImageFont.load_default()


def to_png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
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


def _to_uint8(img: np.ndarray, lo: float | None, hi: float | None) -> np.ndarray:
    finite = np.isfinite(img)
    vals = img[finite]
    lo = float(vals.min()) if lo is None and vals.size else (lo if lo is not None else 0.0)
    hi = float(vals.max()) if hi is None and vals.size else (hi if hi is not None else 1.0)
    scaled = np.clip((np.where(finite, img, lo) - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
    out = (scaled * 255).round().astype(np.uint8)
    if out.ndim == 2:
        out = np.stack([out] * 3, axis=-1)
    mask = ~finite if finite.ndim == 2 else ~finite.all(axis=-1)
    out[mask] = GREY
    return out


def image_grid(rows, labels=None, *, scale: int = 3, lo: float | None = 0.0, hi: float | None = 1.0,
               max_columns: int = 16) -> bytes:
    """One row of images per batch, labelled on the left (lo/hi=None: each image scaled to its range)."""
    batches = [_as_images(r)[:max_columns] for r in rows]
    labels = list(labels or [""] * len(batches))
    font = _font()
    h = max(b.shape[1] for b in batches) * scale
    w = max(b.shape[2] for b in batches) * scale
    label_w = (max((int(font.getlength(s)) for s in labels), default=0) + 10) if any(labels) else 0
    cols = max(len(b) for b in batches)
    canvas = Image.new("RGB", (min(label_w + cols * (w + 4) + 4, MAX_SIDE),
                               min(len(batches) * (h + 4) + 4, MAX_SIDE)), "white")
    draw = ImageDraw.Draw(canvas)
    for r, (batch, label) in enumerate(zip(batches, labels)):
        y = 4 + r * (h + 4)
        draw.text((4, y + h // 2 - 7), label, fill=TEXT, font=font)
        for c, img in enumerate(batch):
            tile = Image.fromarray(_to_uint8(img, lo, hi)).resize((w, h), Image.NEAREST)
            canvas.paste(tile, (label_w + 4 + c * (w + 4), y))
    return to_png(canvas)


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not hi > lo:
        return [lo]
    step = 10 ** np.floor(np.log10((hi - lo) / n))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (m * step) <= n:
            step *= m
            break
    return [float(t) for t in np.arange(np.ceil(lo / step) * step, hi + step * 1e-9, step)]


def line_plot(series: dict, *, title: str = "", xlabel: str = "step", ylabel: str = "",
              size: tuple[int, int] = (640, 360), log_y: bool = False) -> bytes:
    """Curves {name: y values} (or {name: (x, y)}) on common axes, with a legend."""
    font = _font()
    curves = []
    for name, data in series.items():
        if isinstance(data, tuple) and len(data) == 2:
            x, y = (np.asarray(d, dtype=np.float64).ravel() for d in data)
        else:
            y = np.asarray(data, dtype=np.float64).ravel()
            x = np.arange(len(y), dtype=np.float64)
        if log_y:
            y = np.where(y > 0, np.log10(np.where(y > 0, y, 1.0)), np.nan)
        curves.append((str(name), x, y))
    finite = [v for _, x, y in curves for v in (x[np.isfinite(y)], y[np.isfinite(y)])]
    xs = np.concatenate(finite[0::2]) if finite else np.zeros(1)
    ys = np.concatenate(finite[1::2]) if finite else np.zeros(1)
    xs, ys = (xs, ys) if xs.size else (np.zeros(1), np.zeros(1))
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    W, H = size
    left, right, top, bottom = 64, 16, 28, 40
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)

    def px(x, y):
        return (left + (x - x0) / (x1 - x0) * (W - left - right),
                H - bottom - (y - y0) / (y1 - y0) * (H - top - bottom))

    d.rectangle([left, top, W - right, H - bottom], outline=TEXT)
    y_ticks = [float(t) for t in range(int(np.ceil(y0)), int(np.floor(y1)) + 1)] if log_y else []
    for t in (y_ticks if 1 < len(y_ticks) <= 8 else _nice_ticks(y0, y1)):
        _, yy = px(x0, t)
        d.line([left - 4, yy, left, yy], fill=TEXT)
        d.text((4, yy - 7), f"{10 ** t:.3g}" if log_y else f"{t:.3g}", fill=TEXT, font=font)
    for t in _nice_ticks(x0, x1):
        xx, _ = px(t, y0)
        d.line([xx, H - bottom, xx, H - bottom + 4], fill=TEXT)
        label = f"{t:g}"
        width = font.getlength(label)  # centred on its tick, kept inside the picture
        d.text((min(max(xx - width / 2, 0), W - width - 1), H - bottom + 6), label, fill=TEXT, font=font)
    d.text((left, 6), title, fill=TEXT, font=font)
    d.text((W - right - font.getlength(xlabel), H - 16), xlabel, fill=TEXT, font=font)
    d.text((left + 4, top + 2), ylabel, fill=TEXT, font=font)
    for i, (name, x, y) in enumerate(curves):
        colour = PALETTE[i % len(PALETTE)]
        points = [px(a, b) for a, b in zip(x, y) if np.isfinite(a) and np.isfinite(b)]
        if len(points) > 1:
            d.line(points, fill=colour, width=2)
        elif points:
            d.ellipse([points[0][0] - 2, points[0][1] - 2, points[0][0] + 2, points[0][1] + 2], fill=colour)
        ly = top + 6 + 16 * i
        d.line([W - right - 120, ly + 7, W - right - 100, ly + 7], fill=colour, width=3)
        d.text((W - right - 96, ly), name, fill=TEXT, font=font)
    return to_png(img)


def scatter(points, labels=None, *, title: str = "", size: tuple[int, int] = (480, 480)) -> bytes:
    """2-D points (a latent space), coloured by integer label."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    lab = np.zeros(len(p), dtype=int) if labels is None else np.asarray(labels).astype(int).ravel()
    ok = np.isfinite(p).all(axis=1)
    W, H = size
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    d.text((8, 6), title, fill=TEXT, font=_font())
    d.rectangle([6, 26, W - 7, H - 7], outline=GREY)
    if ok.any():
        lo, hi = p[ok].min(axis=0), p[ok].max(axis=0)
        span = np.where(hi > lo, hi - lo, 1.0)
        for (x, y), k in zip(p[ok], lab[ok]):
            u, v = 12 + (x - lo[0]) / span[0] * (W - 24), H - 12 - (y - lo[1]) / span[1] * (H - 40)
            d.ellipse([u - 2, v - 2, u + 2, v + 2], fill=PALETTE[k % len(PALETTE)])
    if labels is not None:  # a legend on the title's line, right-aligned: a dot and the label
        font = _font()
        x = W - 8
        for k in reversed(sorted(set(lab[ok].tolist()))[:len(PALETTE)]):  # placed right to left
            text = str(k)
            x -= font.getlength(text) + 14
            d.ellipse([x, 10, x + 7, 17], fill=PALETTE[k % len(PALETTE)])
            d.text((x + 9, 6), text, fill=TEXT, font=font)
    return to_png(img)


def _as_matrix(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    return a.reshape(-1, a.shape[-1])


def heatmap(values, *, title: str = "", cell: int | None = None, lo: float | None = None,
            hi: float | None = None, legend: tuple[str, str] = ("low", "high")) -> bytes:
    """A matrix as white (lo) to dark red (hi) cells; NaN cells grey (not measured)."""
    m = _as_matrix(values)
    rows, cols = m.shape
    cell = cell or int(np.clip(480 // max(rows, cols, 1), 2, 24))
    finite = np.isfinite(m)
    lo = float(m[finite].min()) if lo is None and finite.any() else (lo or 0.0)
    hi = float(m[finite].max()) if hi is None and finite.any() else (hi if hi is not None else 1.0)
    t = np.clip((np.where(finite, m, lo) - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
    rgb = np.stack([255 - 75 * t, 255 - 255 * t, 255 - 255 * t], axis=-1).round().astype(np.uint8)
    rgb[~finite] = GREY
    body = Image.fromarray(rgb).resize((min(cols * cell, MAX_SIDE), min(rows * cell, MAX_SIDE)), Image.NEAREST)
    font = _font()
    img = Image.new("RGB", (max(body.width + 16, 360), body.height + 70), "white")
    d = ImageDraw.Draw(img)
    d.text((8, 4), title, fill=TEXT, font=font)
    img.paste(body, (8, 24))
    d.rectangle([7, 23, 8 + body.width, 24 + body.height], outline=TEXT)
    y = 30 + body.height
    for i in range(100):  # the colour scale
        c = tuple(int(v) for v in (255 - 75 * i / 99, 255 - 255 * i / 99, 255 - 255 * i / 99))
        d.line([8 + i, y, 8 + i, y + 10], fill=c)
    d.text((114, y - 3), f"{legend[0]} ... {legend[1]}", fill=TEXT, font=font)
    d.text((8, y + 12), "grey: not checked", fill=TEXT, font=font)
    return to_png(img)


def gradient_error_heatmap(yours, numeric, *, rtol: float = 1e-5, atol: float = 1e-8,
                           indices=None, shape=None, title: str = "") -> bytes:
    """Per-parameter gradient error: |yours - numeric| in units of the allowed tolerance, log scale.

    yours, numeric: full arrays of one parameter's gradient; or, with `indices` (the entries
    checked) and `shape`, the values at those entries only (the others are drawn grey).
    """
    if indices is not None:
        full_y = np.full(shape, np.nan)
        full_n = np.full(shape, np.nan)
        for idx, a, b in zip(indices, np.ravel(yours), np.ravel(numeric)):
            full_y[tuple(idx)], full_n[tuple(idx)] = a, b
        yours, numeric = full_y, full_n
    y = np.asarray(yours, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.abs(y - n) / (atol + rtol * np.maximum(np.abs(y), np.abs(n)))
        err = np.log10(np.maximum(ratio, 1e-3))
    err[~np.isfinite(y) & np.isfinite(n)] = 6.0  # yours is NaN/inf where numeric is finite: wrong
    return heatmap(err, title=title or "gradient error per entry (log10 of error / tolerance)",
                   lo=0.0, hi=max(3.0, float(np.nanmax(err)) if np.isfinite(err).any() else 3.0),
                   legend=("within tolerance", "far off"))
