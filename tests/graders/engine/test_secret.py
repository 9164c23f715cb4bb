"""The course secret: the same draws for the same secret, other draws for another."""

import os
import stat

import numpy as np
import pytest

from graders.engine import secret as course_secret
from graders.engine.secret import CourseSecret, fixed_secret, load_course_secret


def test_the_same_secret_gives_the_same_seed_every_time():
    a = fixed_secret("s1", "autoencoder_numpy")
    b = fixed_secret("s1", "autoencoder_numpy")
    assert a.seed("train: held-out", "train") == b.seed("train: held-out", "train")
    assert 0 <= a.seed("x: y") < 2**31


def test_another_secret_check_or_purpose_gives_another_seed():
    base = fixed_secret("s1", "a").seed("c: d", "train")
    assert fixed_secret("s2", "a").seed("c: d", "train") != base
    assert fixed_secret("s1", "b").seed("c: d", "train") != base
    assert fixed_secret("s1", "a").seed("c: e", "train") != base
    assert fixed_secret("s1", "a").seed("c: d", "init") != base


def test_a_secret_split_partitions_the_rows():
    train, held = fixed_secret("s1", "a").split(50, 10, "c: d")
    assert len(held) == 10 and len(train) == 40
    assert sorted(np.concatenate([train, held]).tolist()) == list(range(50))
    other_train, other_held = fixed_secret("s2", "a").split(50, 10, "c: d")
    assert held.tolist() != other_held.tolist()
    with pytest.raises(ValueError):
        fixed_secret("s1", "a").split(5, 5, "c: d")


def test_the_default_secret_file_is_created_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv(course_secret.ENV_TEXT, raising=False)
    monkeypatch.delenv(course_secret.ENV_FILE, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    first = load_course_secret()
    path = tmp_path / "dlgrade" / "course-secret"
    assert path.exists() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_course_secret() == first and len(first) == 64


def test_a_named_secret_file_that_is_missing_is_an_error(tmp_path, monkeypatch):
    monkeypatch.delenv(course_secret.ENV_TEXT, raising=False)
    monkeypatch.setenv(course_secret.ENV_FILE, str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="no course secret"):
        load_course_secret()


def test_the_environment_text_wins(monkeypatch):
    monkeypatch.setenv(course_secret.ENV_TEXT, "abc")
    assert load_course_secret() == b"abc"
    assert CourseSecret(b"abc", "x").seed("a: b") == fixed_secret("abc", "x").seed("a: b")
