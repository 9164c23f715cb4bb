"""The `.ts` reader of the UEA & UCR archive: small files written here (well-formed and
malformed, each with the error it must give), both splits of a prefix, and the bundled
BasicMotions."""

from __future__ import annotations

import numpy as np
import pytest

from dlgrade.data import load_basic_motions
from dlgrade.data.ts import TSFormatError, load_ts_dataset, parse_ts, read_ts

HEADER = """#A tiny two-channel set
@problemName Tiny
@timeStamps false
@missing false
@univariate false
@dimensions 2
@equalLength true
@seriesLength 3
@classLabel true walk run
@data
"""
ROWS = "1,2,3:10,20,30:run\n4,5,6:40,50,60:walk\n7,8,9:70,80,90:run\n"


def write(tmp_path, text, name="tiny.ts"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_channel_major_rows_are_transposed_not_reshaped(tmp_path):
    X, y, labels = read_ts(write(tmp_path, HEADER + ROWS))
    assert X.shape == (3, 3, 2) and X.dtype == np.float64
    np.testing.assert_array_equal(X[0], [[1, 10], [2, 20], [3, 30]])
    np.testing.assert_array_equal(X[:, :, 1], [[10, 20, 30], [40, 50, 60], [70, 80, 90]])
    assert labels == ["walk", "run"]
    assert y.dtype == np.int64 and y.tolist() == [1, 0, 1]


def test_blank_lines_comments_and_header_case_are_accepted(tmp_path):
    text = HEADER.replace("@classLabel", "@CLASSLABEL").replace("@data", "\n@DATA") + "\n" + ROWS + "\n\n"
    X, y, _ = read_ts(write(tmp_path, text))
    assert X.shape == (3, 3, 2) and y.tolist() == [1, 0, 1]


@pytest.mark.parametrize("text, words", [
    (HEADER.replace("@data\n", "") + ROWS, "series before the @data line"),
    (HEADER.replace("@data\n", ""), "no @data line"),
    (HEADER.replace("@classLabel true walk run", "@classLabel false") + ROWS, "classification"),
    (HEADER.replace("@classLabel true walk run", "@classLabel true walk walk") + ROWS, "repeats a class"),
    (HEADER + "1,2,3:10,20,30:jump\n", "'jump' is not one of"),
    (HEADER + "1,2,3:run\n", "1 channels; @dimensions says 2"),
    (HEADER + "1,2:10,20:run\n", "2 values a channel; @seriesLength says 3"),
    (HEADER + "1,2,3:10,20:run\n", "channels of different lengths"),
    (HEADER + "1,?,3:10,20,30:run\n", "missing values are not supported"),
    (HEADER + "1,x,3:10,20,30:run\n", "'x' is not a number"),
    (HEADER + "1,nan,3:10,20,30:run\n", "not finite"),
    (HEADER + "1,2,3\n", "no ':' between"),
    (HEADER, "no series after the @data line"),
    (HEADER.replace("@equalLength true", "@equalLength false") + ROWS, "unequal length"),
    (HEADER.replace("@timeStamps false", "@timeStamps true") + ROWS, "time stamps"),
    (HEADER.replace("@dimensions 2", "@dimensions two") + ROWS, "not a whole number"),
])
def test_malformed_files_give_a_clear_error_with_the_file_and_line(tmp_path, text, words):
    path = write(tmp_path, text)
    with pytest.raises(TSFormatError) as info:
        read_ts(path)
    assert words in str(info.value)
    assert str(path) in str(info.value)


def test_a_binary_file_is_not_a_text_file(tmp_path):
    path = tmp_path / "x.ts"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(TSFormatError, match="not a text file"):
        read_ts(path)


def test_the_error_is_a_value_error_and_names_the_line():
    with pytest.raises(ValueError, match="line 11"):
        parse_ts(HEADER + "1,2,3:10,20,30:jump\n", "mem")


def test_a_prefix_reads_both_splits(tmp_path):
    write(tmp_path, HEADER + ROWS, "Tiny_TRAIN.ts")
    write(tmp_path, HEADER + ROWS.splitlines()[0] + "\n", "Tiny_TEST.ts")
    d = load_ts_dataset(tmp_path / "Tiny")
    assert d["X_train"].shape == (3, 3, 2) and d["X_test"].shape == (1, 3, 2)
    assert d["labels"] == ["walk", "run"] and d["name"] == "Tiny"


def test_a_prefix_whose_splits_disagree_or_lack_a_file_is_refused(tmp_path):
    write(tmp_path, HEADER + ROWS, "Tiny_TRAIN.ts")
    with pytest.raises(FileNotFoundError, match="Tiny_TEST.ts"):
        load_ts_dataset(tmp_path / "Tiny")
    write(tmp_path, HEADER.replace("walk run", "run walk") + ROWS, "Tiny_TEST.ts")
    with pytest.raises(TSFormatError, match="classes"):
        load_ts_dataset(tmp_path / "Tiny")


def test_basic_motions_is_bundled_with_its_four_classes():
    X, y, labels = load_basic_motions("train")
    X_test, y_test, test_labels = load_basic_motions("test")
    assert X.shape == X_test.shape == (40, 100, 6)
    assert labels == test_labels == ["Standing", "Running", "Walking", "Badminton"]
    assert np.bincount(y).tolist() == np.bincount(y_test).tolist() == [10, 10, 10, 10]
    assert np.isfinite(X).all() and X.std(axis=(0, 1)).min() > 0.5
    with pytest.raises(ValueError, match="train"):
        load_basic_motions("validation")
