"""Session memory: the latest text of each file an editor session sent, in chunks, in RAM.

Thin plugins send only the file being edited, but every seed-format request names its path
and carries the text around the cursor, so the server can remember what a session has been
working in and show the model the pieces of the other files that matter here.

- **Per session, never across.** A session's files are read only for the same session key.
- **Bounded.** At most ``max_sessions`` sessions (the least recently used goes first), at
  most ``max_chars`` characters of text per session (its least recently sent files go
  first; a single file larger than that is not kept), and a session idle for ``ttl``
  seconds is forgotten. Nothing is ever written to disk.
- **Stable order.** Each session remembers the chunks its last prompt showed, in order;
  chunks still chosen keep their places and new ones are appended, so consecutive prompts
  share their context block and the KV cache keeps it. A chunk already shown also weighs
  a little more (``STICKINESS``), so the choice does not flicker from keystroke to keystroke.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from codefill.service.chunks import Chunk, bm25_scores, split_chunks, terms

__all__ = ["MemoryBounds", "SessionMemory"]

STICKINESS = 1.5  # score factor for a chunk the session's last prompt showed
MIN_CHUNK_LINES = 6


@dataclass(frozen=True)
class MemoryBounds:
    max_sessions: int = 64
    max_chars: int = 256 * 1024
    ttl: float = 3600.0
    chunk_lines: int = 24


@dataclass
class _File:
    """A file's latest text; chunked when another file's completion first needs it, so the
    file being typed in is not split again on every keystroke."""

    path: str
    text: str
    min_lines: int
    max_lines: int
    _chunks: list[Chunk] | None = None

    @property
    def chunks(self) -> list[Chunk]:
        if self._chunks is None:
            self._chunks = split_chunks(self.path, self.text, self.min_lines, self.max_lines)
        return self._chunks


@dataclass
class _Session:
    files: OrderedDict[str, _File] = field(default_factory=OrderedDict)
    shown: list[tuple[str, str]] = field(default_factory=list)  # chunk keys, prompt order
    chars: int = 0
    used: float = 0.0


class SessionMemory:
    """The sessions' files; ``clock`` is injectable so tests can move time."""

    def __init__(self, bounds: MemoryBounds, clock: Callable[[], float] = time.monotonic) -> None:
        self.bounds = bounds
        self._clock = clock
        self._sessions: OrderedDict[str, _Session] = OrderedDict()

    def __len__(self) -> int:
        self._expire()
        return len(self._sessions)

    def files(self, key: str) -> list[str]:
        """The session's remembered paths, least recently sent first."""
        session = self._session(key, create=False)
        return list(session.files) if session else []

    def record(self, key: str, path: str, text: str) -> None:
        """Keep ``text`` as the latest text of ``path`` in the session."""
        if len(text) > self.bounds.max_chars or not text.strip():
            return
        session = self._session(key, create=True)
        assert session is not None
        old = session.files.pop(path, None)
        if old is not None and old.text == text:
            session.files[path] = old  # unchanged: keep its chunks, mark it recent
            return
        session.chars -= len(old.text) if old else 0
        session.files[path] = _File(path, text, MIN_CHUNK_LINES, self.bounds.chunk_lines)
        session.chars += len(text)
        while session.chars > self.bounds.max_chars:
            _, evicted = session.files.popitem(last=False)
            session.chars -= len(evicted.text)

    def select(
        self,
        key: str,
        query: str,
        exclude: str,
        budget: int,
        cost: Callable[[Chunk], int],
        skip: Callable[[Chunk], bool] = lambda chunk: False,
    ) -> list[Chunk]:
        """The chunks most relevant to ``query`` whose ``cost`` fits ``budget``, from files
        other than ``exclude``, in the session's stable order (see the module docstring)."""
        session = self._session(key, create=False)
        if session is None or budget <= 0:
            return []
        candidates = [
            chunk
            for path, file in session.files.items()
            if path != exclude
            for chunk in file.chunks
            if not skip(chunk)
        ]
        shown = {chunk_key: rank for rank, chunk_key in enumerate(session.shown)}
        scores = bm25_scores(terms(query), candidates)
        ranked = sorted(
            (
                (score * (STICKINESS if chunk.key in shown else 1.0), chunk)
                for score, chunk in zip(scores, candidates, strict=True)
                if score > 0
            ),
            key=lambda pair: -pair[0],
        )
        chosen: list[Chunk] = []
        left = budget
        for _, chunk in ranked:
            price = cost(chunk)
            if price <= left:
                chosen.append(chunk)
                left -= price
        kept = sorted((c for c in chosen if c.key in shown), key=lambda c: shown[c.key])
        added = sorted((c for c in chosen if c.key not in shown), key=lambda c: (c.path, c.start))
        ordered = kept + added
        session.shown = [chunk.key for chunk in ordered]
        return ordered

    def _session(self, key: str, *, create: bool) -> _Session | None:
        self._expire()
        session = self._sessions.get(key)
        if session is None:
            if not create:
                return None
            session = self._sessions[key] = _Session()
            while len(self._sessions) > self.bounds.max_sessions:
                self._sessions.popitem(last=False)
        self._sessions.move_to_end(key)
        session.used = self._clock()
        return session

    def _expire(self) -> None:
        """Forget sessions idle longer than the ttl (the oldest are first in the order)."""
        deadline = self._clock() - self.bounds.ttl
        while self._sessions:
            oldest = next(iter(self._sessions.values()))
            if oldest.used > deadline:
                return
            self._sessions.popitem(last=False)
