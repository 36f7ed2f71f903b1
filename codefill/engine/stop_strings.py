"""Stop-string matching on streamed text, holding back only what could still become a stop."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["StopMatcher"]


class StopMatcher:
    """Incremental stop-string detector: ``feed`` text as it is generated, ``flush`` at the end.

    ``feed`` returns the text that is safe to show now and whether a stop string was hit;
    after a hit, the stop string and everything after it are dropped and further input is
    ignored. Text that might be the start of a stop string is held back until it is decided.
    """

    def __init__(self, stops: Sequence[str]) -> None:
        self._stops = tuple(s for s in dict.fromkeys(stops) if s)
        self._longest = max((len(s) for s in self._stops), default=0)
        self._pending = ""
        self.stopped = False
        self.matched: str | None = None

    def feed(self, text: str) -> str:
        if self.stopped:
            return ""
        if not self._stops:
            return text
        buffer = self._pending + text
        hit_at, hit = self._first_hit(buffer)
        if hit is not None:
            self.stopped = True
            self.matched = hit
            self._pending = ""
            return buffer[:hit_at]
        keep = self._held_back(buffer)
        self._pending = buffer[len(buffer) - keep :] if keep else ""
        return buffer[: len(buffer) - keep]

    def flush(self) -> str:
        """The held-back text, once generation has ended without completing a stop string."""
        pending, self._pending = self._pending, ""
        return "" if self.stopped else pending

    def _first_hit(self, buffer: str) -> tuple[int, str | None]:
        best_at, best = len(buffer) + 1, None
        for stop in self._stops:
            at = buffer.find(stop)
            if 0 <= at < best_at:
                best_at, best = at, stop
        return best_at, best

    def _held_back(self, buffer: str) -> int:
        """Length of the longest tail of ``buffer`` that is a proper prefix of a stop string."""
        for size in range(min(self._longest - 1, len(buffer)), 0, -1):
            tail = buffer[-size:]
            if any(stop.startswith(tail) for stop in self._stops):
                return size
        return 0
