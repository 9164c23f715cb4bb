"""The sandbox's stdout and stderr: a thread drains their pipe into a capped buffer.

What a submission prints is shown to the student and never parsed; past `cap` bytes it is
counted, not kept.
"""

from __future__ import annotations

import os
import select
import threading
import time


class OutputCapture(threading.Thread):
    """Drains a pipe, keeping the first `cap` bytes and counting the rest."""

    def __init__(self, fd: int, cap: int):
        super().__init__(daemon=True)
        self.fd, self.cap = fd, cap
        self.head = bytearray()
        self.total = 0
        # held from a read to the end of its bookkeeping, so that `settle` never sees an
        # empty pipe while a chunk taken from it is not yet counted
        self._reading = threading.Lock()
        self._wait, self._peek = select.poll(), select.poll()  # (one per thread: poll objects are not shared)
        for poll in (self._wait, self._peek):
            poll.register(fd, select.POLLIN)

    def run(self) -> None:
        while True:
            try:
                self._wait.poll()  # wait without the lock: data, end of file or an error
                with self._reading:
                    chunk = os.read(self.fd, 65536)  # (the only reader: this cannot block)
                    self.total += len(chunk)
                    room = self.cap - len(self.head)
                    if room > 0:
                        self.head += chunk[:room]
            except OSError:
                break
            if not chunk:
                break
        os.close(self.fd)

    def settle(self, limit_s: float = 1.0) -> None:
        """Wait (at most `limit_s`) until what is already in the pipe has been read and counted."""
        deadline = time.monotonic() + limit_s
        while self.is_alive() and time.monotonic() < deadline:
            with self._reading:
                try:
                    if not self._peek.poll(0):
                        return
                except OSError:
                    return
            time.sleep(0.002)

    def text(self) -> str:
        out = self.head.decode("utf-8", errors="replace")
        if self.total > len(self.head):
            out += f"\n... [{self.total - len(self.head):,} more bytes of output not shown]"
        return out
