"""OutputCapture: what a submission prints is drained, capped and counted, never lost."""

from __future__ import annotations

import os
import threading

from graders.sandbox.output import OutputCapture


def capture(cap: int) -> tuple[OutputCapture, int]:
    read_end, write_end = os.pipe()
    out = OutputCapture(read_end, cap)
    out.start()
    return out, write_end


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def test_settle_counts_every_byte_already_written_even_past_the_pipe_buffer():
    # 300 KiB is several pipe buffers: the writer blocks until the capture thread drains them,
    # and once it is done, settle() must not return before the last chunk is counted
    for _ in range(20):
        out, w = capture(cap=1000)
        writer = threading.Thread(target=write_all, args=(w, b"x" * 300_000))
        writer.start()
        writer.join()
        out.settle()
        assert out.total == 300_000
        assert bytes(out.head) == b"x" * 1000
        os.close(w)
        out.join(5)
        assert not out.is_alive()


def test_text_keeps_the_head_and_says_how_many_bytes_were_not_shown():
    out, w = capture(cap=10)
    write_all(w, "héllo wörld, and more".encode())
    os.close(w)
    out.join(5)
    total = len("héllo wörld, and more".encode())
    assert out.text().startswith("héllo w")
    assert out.text().endswith(f"[{total - 10:,} more bytes of output not shown]")


def test_settle_returns_at_once_when_nothing_was_written_and_after_the_pipe_closed():
    out, w = capture(cap=10)
    out.settle(limit_s=5)  # an empty pipe: nothing to wait for
    assert out.total == 0 and out.text() == ""
    os.close(w)
    out.join(5)
    out.settle(limit_s=5)  # the thread has ended
    assert not out.is_alive()
