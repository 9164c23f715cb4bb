"""Time-series classification sets in the `.ts` text format of the UEA & UCR archive.

The format (https://www.timeseriesclassification.com): header lines that start with `#`
(a description) or `@` (metadata), then `@data`, then one series a line:

    @problemName BasicMotions
    @timeStamps false
    @missing false
    @univariate false
    @dimensions 6
    @equalLength true
    @seriesLength 100
    @classLabel true Standing Running Walking Badminton
    @data
    v,v,...,v:v,v,...,v:...:Standing        (the channels separated by ':', the label last)

This reader takes the archive's classification sets of equal-length series without time
stamps or missing values (BasicMotions, and the larger multivariate human-activity sets
an instructor may have locally), and says in plain words what is wrong with any other
file (`TSFormatError`, a ValueError, with the file and line).

`read_ts(path) -> (X, y, labels)`: X of shape (N, T, D), float64, the file's channel-major
rows transposed (never reshaped); y int64 indices into labels, in the order of the
`@classLabel` line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["TSFormatError", "read_ts", "parse_ts", "load_ts_dataset", "ts_paths"]

_TRUE, _FALSE = "true", "false"


class TSFormatError(ValueError):
    """A file is not a `.ts` classification file this reader can take."""


def read_ts(path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(X (N, T, D) float64, y (N,) int64, labels) of the `.ts` file at `path`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TSFormatError(f"{path}: not a text file ({exc.reason} at byte {exc.start})") from None
    return parse_ts(text, str(path))


def parse_ts(text: str, name: str = "<text>") -> tuple[np.ndarray, np.ndarray, list[str]]:
    """read_ts on the text of a file; `name` names it in error messages."""
    lines = text.splitlines()
    header: dict[str, list[str]] = {}
    data_at = None
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith("@"):
            raise TSFormatError(f"{name}, line {number}: a series before the @data line")
        key, _, rest = line[1:].partition(" ")
        key = key.lower()
        if key == "data":
            data_at = number
            break
        header[key] = rest.split()
    if data_at is None:
        raise TSFormatError(f"{name}: no @data line (is this a .ts file of the UEA & UCR archive?)")
    labels = _class_labels(header, name)
    _require_flag(header, "timestamps", _FALSE, name, "series with time stamps are not supported")
    _require_flag(header, "missing", _FALSE, name, "series with missing values are not supported")
    _require_flag(header, "equallength", _TRUE, name, "series of unequal length are not supported")
    dimensions = _int_field(header, "dimensions", name)
    length = _int_field(header, "serieslength", name)
    series, targets = [], []
    index = {label: i for i, label in enumerate(labels)}
    for number in range(data_at + 1, len(lines) + 1):
        line = lines[number - 1].strip()
        if not line or line.startswith("#"):
            continue
        *channels, label = line.split(":")
        where = f"{name}, line {number}"
        if not channels:
            raise TSFormatError(f"{where}: no ':' between the values and the class label")
        if label.strip() not in index:
            raise TSFormatError(f"{where}: class label {label.strip()[:40]!r} is not one of the "
                                f"@classLabel line's {labels}")
        if dimensions is not None and len(channels) != dimensions:
            raise TSFormatError(f"{where}: {len(channels)} channels; @dimensions says {dimensions}")
        rows = [_channel(values, where, c) for c, values in enumerate(channels)]
        lengths = {len(r) for r in rows}
        if len(lengths) != 1:
            raise TSFormatError(f"{where}: channels of different lengths {sorted(lengths)}")
        if length is not None and rows[0].size != length:
            raise TSFormatError(f"{where}: {rows[0].size} values a channel; @seriesLength says {length}")
        if series and (len(rows), rows[0].size) != series[0].shape:
            raise TSFormatError(f"{where}: {len(rows)} channels of {rows[0].size} values; the first series "
                                f"has {series[0].shape[0]} of {series[0].shape[1]}")
        series.append(np.stack(rows))
        targets.append(index[label.strip()])
    if not series:
        raise TSFormatError(f"{name}: no series after the @data line")
    X = np.stack(series).transpose(0, 2, 1).copy()  # (N, D, T) channel-major rows -> (N, T, D)
    return X, np.array(targets, dtype=np.int64), labels


def _class_labels(header: dict, name: str) -> list[str]:
    values = header.get("classlabel")
    if not values or values[0].lower() != _TRUE:
        raise TSFormatError(f"{name}: no '@classLabel true LABEL ...' line: only classification sets are read")
    labels = values[1:]
    if not labels:
        raise TSFormatError(f"{name}: the @classLabel line names no class")
    if len(set(labels)) != len(labels):
        raise TSFormatError(f"{name}: the @classLabel line repeats a class: {labels}")
    return labels


def _require_flag(header: dict, key: str, wanted: str, name: str, why: str) -> None:
    values = header.get(key)
    if values and values[0].lower() != wanted:
        raise TSFormatError(f"{name}: @{key} {values[0]}: {why}")


def _int_field(header: dict, key: str, name: str) -> int | None:
    values = header.get(key)
    if not values:
        return None
    try:
        value = int(values[0])
    except ValueError:
        raise TSFormatError(f"{name}: @{key} {values[0]!r} is not a whole number") from None
    if value < 1:
        raise TSFormatError(f"{name}: @{key} {value} must be at least 1")
    return value


def _channel(values: str, where: str, c: int) -> np.ndarray:
    parts = values.split(",")
    try:
        row = np.array([float(v) for v in parts], dtype=np.float64)
    except ValueError:
        bad = next(v for v in parts if not _is_float(v))
        raise TSFormatError(f"{where}, channel {c + 1}: {bad.strip()[:20]!r} is not a number"
                            + (" (missing values are not supported)" if bad.strip() == "?" else "")) from None
    if not np.isfinite(row).all():
        raise TSFormatError(f"{where}, channel {c + 1}: a value that is not finite (NaN or infinity)")
    return row


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def ts_paths(prefix) -> dict[str, Path]:
    """{"train": PREFIX_TRAIN.ts, "test": PREFIX_TEST.ts}, the archive's naming."""
    prefix = str(prefix)
    return {split: Path(f"{prefix}_{split.upper()}.ts") for split in ("train", "test")}


def load_ts_dataset(prefix) -> dict:
    """Both splits of a data set of the archive, read from PREFIX_TRAIN.ts and PREFIX_TEST.ts.

    Returns {"X_train", "y_train", "X_test", "y_test", "labels", "name"}; TSFormatError if the
    two files disagree on the classes or on the channels, FileNotFoundError for a missing one.
    """
    paths = ts_paths(prefix)
    for path in paths.values():
        if not path.is_file():
            raise FileNotFoundError(f"no file {path} (the data set PREFIX names PREFIX_TRAIN.ts and "
                                    "PREFIX_TEST.ts)")
    X_train, y_train, labels = read_ts(paths["train"])
    X_test, y_test, test_labels = read_ts(paths["test"])
    if test_labels != labels:
        raise TSFormatError(f"{paths['test']}: classes {test_labels}; {paths['train']} has {labels}")
    if X_test.shape[2] != X_train.shape[2]:
        raise TSFormatError(f"{paths['test']}: {X_test.shape[2]} channels; {paths['train']} has "
                            f"{X_train.shape[2]}")
    return {"X_train": X_train, "y_train": y_train, "X_test": X_test, "y_test": y_test,
            "labels": labels, "name": Path(str(prefix)).name}
