"""The sandbox's temporary directory: how much it holds, and its removal."""

from __future__ import annotations

import os
import shutil


def disk_usage(path: str, max_entries: int) -> tuple[int, int]:
    """(bytes allocated, entries) under `path`, counting at most `max_entries` entries."""
    total, count, stack = 0, 0, [path]
    while stack and count < max_entries:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    count += 1
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += getattr(st, "st_blocks", 0) * 512 or st.st_size
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    if count >= max_entries:
                        break
        except OSError:
            continue
    return total, count


def remove_tree(path: str) -> None:
    """Remove a sandbox directory, even one whose subdirectories were made unwritable."""
    def retry(func, p, _exc):
        try:
            os.chmod(os.path.dirname(p), 0o700)
            if os.path.isdir(p) and not os.path.islink(p):
                os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=retry)
    if os.path.exists(path):
        shutil.rmtree(path, ignore_errors=True)
