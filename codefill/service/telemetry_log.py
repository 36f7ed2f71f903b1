"""The optional text log of telemetry: prompts, completions and events as JSON lines.

Off unless the operator names a file (``telemetry_text_file``). Lines are written by one
thread of their own from a bounded queue, so a slow disk never holds up the event loop; when
the queue is full a line is dropped and counted. The file is bounded: a line that would take
it past ``max_bytes`` first renames it to ``<file>.1`` (replacing the previous one), so the
log never takes more than twice ``max_bytes`` of disk.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import queue
import threading
from pathlib import Path
from typing import Any

__all__ = ["TextLog"]

log = logging.getLogger("codefill.telemetry")

_QUEUE = 1024
_CLOSE = object()


class TextLog:
    """Appends JSON lines to ``path`` from a background thread; see the module docstring."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.dropped = 0
        self.rotations = 0
        self._queue: queue.Queue[object] = queue.Queue(_QUEUE)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name="codefill-telemetry", daemon=True)
        self._thread.start()

    @classmethod
    def open(cls, path: str, max_bytes: int) -> TextLog | None:
        """The log for a configured path; None when the operator left it off ("")."""
        return cls(Path(path).expanduser(), max_bytes) if path else None

    def write(self, kind: str, entry: dict[str, Any]) -> None:
        """Queue one line; never blocks."""
        stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
        line = json.dumps({"ts": stamp, "type": kind, **entry}, ensure_ascii=False) + "\n"
        try:
            self._queue.put_nowait(line)
        except queue.Full:
            self.dropped += 1

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, then stop the thread."""
        try:
            self._queue.put(_CLOSE, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _CLOSE:
                return
            assert isinstance(item, str)
            try:
                self._append(item.encode())
            except OSError as error:
                self.dropped += 1
                log.warning("telemetry text log %s: %s", self.path, error)

    def _append(self, line: bytes) -> None:
        if len(line) > self.max_bytes:
            self.dropped += 1  # one line bigger than the whole log: never written
            return
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size + len(line) > self.max_bytes:
            os.replace(self.path, self.path.with_name(self.path.name + ".1"))
            self.rotations += 1
        with self.path.open("ab") as file:
            file.write(line)
