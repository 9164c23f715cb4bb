"""Finding a class's submissions: one file or one folder per student, in a folder or a zip.

A top-level `.py` or `.ipynb` file is one student's submission (the student is the file's
stem); a top-level folder is one student (the folder's name), whose submission is the file
`graders.submission_choice.choose` picks: for an assignment, its notebook with work in it
before a blank copy of the template or another assignment's notebook; then a notebook before
a `.py` file, shallowest first, in sorted order. A single folder wrapping the class (a
zipped folder) is looked through. Hidden entries, `__MACOSX`, `__pycache__` and
`.ipynb_checkpoints` are ignored. A zip is extracted
safely first: an absolute path, a `..` component, a link, or more than `max_bytes` in all
rejects the whole archive.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from graders.submission_choice import SUFFIXES, TemplateCode, choose, is_ignored

MAX_ZIP_BYTES = 1024 * 1024 * 1024
MAX_ZIP_ENTRIES = 50_000


class BatchError(Exception):
    """A problem with the batch as a whole (not one student's): a usage error."""


@dataclass(frozen=True)
class Student:
    """One student of a batch.

    name: as found (file stem or folder name); key: a safe, unique file name for reports.
    submission: the file to grade, or None when the student's folder holds none.
    relpath: the submission's path relative to the batch's root (shown in reports).
    """

    name: str
    key: str
    submission: Path | None
    relpath: str


def find_submission(folder: Path, assignment: str | None = None,
                    template: TemplateCode | None = None) -> Path | None:
    """The file of `folder` to grade (see `graders.submission_choice.choose`), or None."""
    choice = choose(folder, assignment, template)
    return choice.path if choice else None


def safe_key(name: str, taken: set[str]) -> str:
    """A file-name-safe version of a student's name, unique among `taken` (which it joins)."""
    base = re.sub(r"[^A-Za-z0-9._@+-]", "_", name).strip("._") or "student"
    base = base[:100]
    key, n = base, 2
    while key.lower() in taken:
        key, n = f"{base}-{n}", n + 1
    taken.add(key.lower())
    return key


def _root(folder: Path) -> Path:
    """Descend through a single wrapping folder (as zipped folders have): one that holds
    student folders, or several submission files (one student's folder holds one)."""
    while True:
        entries = [p for p in folder.iterdir() if not is_ignored(p.name)]
        if len(entries) != 1 or not entries[0].is_dir() or entries[0].is_symlink():
            return folder
        inside = [p for p in entries[0].iterdir() if not is_ignored(p.name) and not p.is_symlink()]
        if not (any(p.is_dir() for p in inside)
                or sum(p.is_file() and p.suffix.lower() in SUFFIXES for p in inside) >= 2):
            return folder
        folder = entries[0]


def discover(folder: Path, assignment: str | None = None, reference: Path | None = None) -> list[Student]:
    """The students of a batch folder, sorted by name (case-insensitively, then exactly); in a
    student's folder, the file graded for `assignment` (see `find_submission`; `reference`:
    the assignment's, when it is not a bundled one)."""
    folder = Path(folder)
    template = TemplateCode(assignment, reference) if assignment else None  # built once for the class
    if not folder.is_dir():
        raise BatchError(f"{folder}: not a folder or a .zip file")
    root = _root(folder)
    found: list[tuple[str, Path | None]] = []
    for entry in root.iterdir():
        if is_ignored(entry.name) or entry.is_symlink():
            continue
        if entry.is_file() and entry.suffix.lower() in SUFFIXES:
            found.append((entry.stem, entry))
        elif entry.is_dir():
            found.append((entry.name, find_submission(entry, assignment, template)))
    found.sort(key=lambda item: (item[0].lower(), item[0], str(item[1])))
    taken: set[str] = set()
    students = []
    for name, path in found:
        rel = str(path.relative_to(root)) if path is not None else name + "/"
        students.append(Student(name=name, key=safe_key(name, taken), submission=path, relpath=rel))
    return students


def extract_zip(archive: Path, dest: Path, *, max_bytes: int = MAX_ZIP_BYTES,
                max_entries: int = MAX_ZIP_ENTRIES) -> Path:
    """Extract `archive` into `dest` after checking every member; BatchError if any is unsafe."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BatchError(f"{archive}: not a readable zip file ({exc})") from None
    try:
        with zf:
            _extract(archive, zf, dest, max_bytes, max_entries)
    except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError) as exc:  # corrupt, encrypted
        raise BatchError(f"{archive}: cannot extract: {type(exc).__name__}: {exc}") from None
    return dest


def _extract(archive: Path, zf: zipfile.ZipFile, dest: Path, max_bytes: int, max_entries: int) -> None:
    members = zf.infolist()
    if len(members) > max_entries:
        raise BatchError(f"{archive}: {len(members)} entries; at most {max_entries} allowed")
    if sum(m.file_size for m in members) > max_bytes:
        raise BatchError(f"{archive}: more than {max_bytes:,} bytes once extracted")
    for m in members:
        _check_member(archive, m)
    written = 0
    for m in members:
        target = dest.joinpath(*PurePosixPath(m.filename.replace("\\", "/")).parts)
        if m.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(m) as src, open(target, "wb") as out:
            while chunk := src.read(1 << 20):  # count what really comes out, not the header
                written += len(chunk)
                if written > max_bytes:
                    raise BatchError(f"{archive}: more than {max_bytes:,} bytes once extracted")
                out.write(chunk)


def _check_member(archive: Path, m: zipfile.ZipInfo) -> None:
    name = m.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or not parts:
        raise BatchError(f"{archive}: unsafe absolute path {m.filename!r}; nothing was extracted")
    if ".." in parts:
        raise BatchError(f"{archive}: unsafe path {m.filename!r} (contains ..); nothing was extracted")
    if "\x00" in name:
        raise BatchError(f"{archive}: unsafe file name {m.filename!r}; nothing was extracted")
    kind = stat.S_IFMT(m.external_attr >> 16)  # 0 when the zip was made without Unix modes
    if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
        raise BatchError(f"{archive}: {m.filename!r} is a link or a special file; nothing was extracted")
