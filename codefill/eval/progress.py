"""A progress bar on stderr: redrawn in place on a terminal, a line per tenth in a log."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

__all__ = ["Progress"]

_WIDTH = 24


class Progress:
    """Counts finished tasks and passes; safe to advance from worker threads."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.passed = 0
        self._stream = stream or sys.stderr
        self._terminal = self._stream.isatty()
        self._start = time.monotonic()
        self._lock = threading.Lock()
        self._shown_tenth = -1

    def line(self) -> str:
        filled = _WIDTH * self.done // self.total if self.total else _WIDTH
        bar = "#" * filled + "-" * (_WIDTH - filled)
        elapsed = time.monotonic() - self._start
        return f"eval [{bar}] {self.done}/{self.total} passed {self.passed} {elapsed:.0f}s"

    def advance(self, passed: bool) -> None:
        with self._lock:
            self.done += 1
            self.passed += passed
            if self._terminal:
                self._stream.write("\r" + self.line())
            else:
                tenth = 10 * self.done // self.total if self.total else 10
                if tenth == self._shown_tenth:
                    return
                self._shown_tenth = tenth
                self._stream.write(self.line() + "\n")
            self._stream.flush()

    def close(self) -> None:
        with self._lock:
            if self._terminal:
                self._stream.write("\n")
                self._stream.flush()
