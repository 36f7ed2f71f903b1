"""How the worker processes of one server share the machine's cores.

Every worker would otherwise run all its threads on all the cores, whatever the others do.
The workers of a server share a small file, and each decode asks :class:`CoreShare` how:

* ``budget`` (default): the threads are divided among the workers decoding now. Each
  worker has a slot in the file (mapped into memory) where it marks when it is decoding and
  when it last finished; a worker that decoded in the last quarter second counts as busy.
  Alone, a worker uses every thread; beside another, half of them.
* ``gate``: one decode at a time across the workers (an ``flock`` on the file), each with
  every thread.
* ``split``: each worker a fixed share of the threads (set when it starts).
* ``none``: every worker every thread.

``benchmarks/shared_cores.py`` compares them with two models generating at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import struct
import time
from collections.abc import Iterator

from codefill.settings import CpuShare

__all__ = ["SLOTS", "CoreShare"]

SLOTS = 64  # workers one server can have at once (slot numbers 0..63)
_BUSY_WINDOW = 0.25  # seconds after a decode during which a worker still counts as busy
_DECODING = float("inf")
_CELL = struct.Struct("d")


class CoreShare:
    """One worker's side of the sharing; ``turn()`` wraps each decode and gives the
    threads it may use. ``path`` is the server's shared file (None: share nothing)."""

    def __init__(self, mode: CpuShare, path: str | None, slot: int, threads: int) -> None:
        self._mode = mode if path else "none"
        self._slot = slot
        self._threads = threads
        self._fd = -1
        self._cells: mmap.mmap | None = None
        if self._mode in ("gate", "budget"):
            assert path is not None
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if self._mode == "budget":
            self._cells = _cells(self._fd)
            self._mark(0.0)  # whatever a dead worker in this slot left

    @staticmethod
    def release(path: str | None, slot: int) -> None:
        """Mark a slot idle from outside (its worker died in the middle of a decode)."""
        if path is None:
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            with _cells(fd) as cells:
                _CELL.pack_into(cells, slot * _CELL.size, 0.0)
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def turn(self) -> Iterator[int]:
        """Hold this for one decode; it yields the thread count to decode with."""
        if self._mode == "gate":
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield self._threads
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        elif self._cells is not None:
            self._mark(_DECODING)
            try:
                yield max(1, self._threads // self._busy())
            finally:
                self._mark(time.monotonic())
        else:
            yield self._threads

    def _mark(self, value: float) -> None:
        assert self._cells is not None
        _CELL.pack_into(self._cells, self._slot * _CELL.size, value)

    def _busy(self) -> int:
        """Workers decoding now or a moment ago, this one included."""
        assert self._cells is not None
        recent = time.monotonic() - _BUSY_WINDOW
        return sum(1 for (value,) in _CELL.iter_unpack(self._cells) if value > recent)


def _cells(fd: int) -> mmap.mmap:
    if os.fstat(fd).st_size < SLOTS * _CELL.size:
        os.ftruncate(fd, SLOTS * _CELL.size)
    return mmap.mmap(fd, SLOTS * _CELL.size)
