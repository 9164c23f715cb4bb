"""The course secret: trained checks reproducible for the instructor, unpredictable for a student.

A trained check's seed and its choice of training and held-out rows are derived from the
course secret, the assignment, the check and a purpose, with HMAC-SHA256:

    seed = first 4 bytes of HMAC(secret, "assignment|check|purpose") as an int in [0, 2**31)

so the same submission gets the same grade on every run with the same secret, while a
student who does not know the secret cannot tell which seed or which rows the graded run
uses, and so cannot ship weights trained in advance for it.

Where the secret comes from, first match wins:
1. `DLGRADE_SECRET` (any text; the grader's environment never reaches a sandbox);
2. the file named by `DLGRADE_SECRET_FILE`;
3. `$XDG_CONFIG_HOME/dlgrade/course-secret` (`~/.config/...`), created with 32 random bytes
   (hex, mode 0600) on first use.
The file lives outside every folder a sandbox may read (see docs/security.md). A Gradescope
bundle carries the instructor's secret into the grader's own files, which autograder mode
hides from the submission.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ENV_TEXT = "DLGRADE_SECRET"
ENV_FILE = "DLGRADE_SECRET_FILE"


def default_secret_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "dlgrade" / "course-secret"


def secret_path() -> Path:
    """The file that holds (or will hold) the course secret."""
    return Path(os.environ[ENV_FILE]) if os.environ.get(ENV_FILE) else default_secret_path()


def load_course_secret(*, create: bool = True) -> bytes:
    """The course secret as bytes (see the module docstring for where it comes from).

    create: generate the default file when it does not exist yet (never for a file named by
    DLGRADE_SECRET_FILE: a missing file there is a configuration error).
    """
    text = os.environ.get(ENV_TEXT)
    if text:
        return text.encode("utf-8")
    path = secret_path()
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        if os.environ.get(ENV_FILE) or not create:
            raise FileNotFoundError(f"no course secret at {path} ({ENV_FILE})") from None
        value = secrets.token_hex(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(value + "\n")
    if not value:
        raise ValueError(f"the course secret file {path} is empty")
    return value.encode("utf-8")


@dataclass(frozen=True)
class CourseSecret:
    """Derives seeds and row choices for one assignment from the course secret."""

    key: bytes
    assignment: str

    def _digest(self, check: str, purpose: str) -> bytes:
        message = f"{self.assignment}|{check}|{purpose}".encode("utf-8")
        return hmac.new(self.key, message, hashlib.sha256).digest()

    def seed(self, check: str, purpose: str = "seed") -> int:
        """A seed in [0, 2**31) for `check`'s `purpose` (e.g. "train", "init", "noise")."""
        return int.from_bytes(self._digest(check, purpose)[:4], "big") & 0x7FFFFFFF

    def rng(self, check: str, purpose: str) -> np.random.Generator:
        """A NumPy generator seeded from the whole 256-bit digest."""
        return np.random.default_rng(np.frombuffer(self._digest(check, purpose), dtype=np.uint32))

    def split(self, n: int, n_heldout: int, check: str, purpose: str = "split"):
        """(train_idx, heldout_idx): a secret partition of range(n), each part sorted."""
        if not 0 < n_heldout < n:
            raise ValueError(f"cannot hold out {n_heldout} of {n} rows")
        order = self.rng(check, purpose).permutation(n)
        return np.sort(order[n_heldout:]), np.sort(order[:n_heldout])


def fixed_secret(text: str, assignment: str) -> CourseSecret:
    """A secret from known text: for tests and for calibrating over several draws."""
    return CourseSecret(text.encode("utf-8"), assignment)
