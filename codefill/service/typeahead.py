"""Type-ahead: answer a keystroke from an earlier completion the user is typing through.

When a request's prefix is an earlier request's prefix plus the text typed since, its
suffix (and everything else that shapes the answer) is unchanged, and that typed text is the
start of the earlier completion, the rest of that completion is the answer: served at once
with no model work, or followed live while it is still being generated.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

from codefill.engine.base import FinishReason
from codefill.service.generation import Generation

__all__ = ["CompletionKey", "TypeAhead"]


@dataclass(frozen=True)
class CompletionKey:
    """Everything except the prefix that must match for an earlier answer to apply."""

    model: str
    template: str
    language: str
    file_path: str
    suffix: str
    stop: tuple[str, ...]
    max_tokens: int
    postprocess: bool
    token_healing: bool = False


@dataclass(frozen=True)
class _Entry:
    key: CompletionKey
    prefix: str
    generation: Generation


class TypeAhead:
    """The most recent completions, newest first per key, bounded by ``capacity``."""

    def __init__(self, capacity: int = 256) -> None:
        self._capacity = capacity
        self._entries: collections.deque[_Entry] = collections.deque()
        self._by_key: dict[CompletionKey, list[_Entry]] = {}

    def remember(self, key: CompletionKey, prefix: str, generation: Generation) -> None:
        entry = _Entry(key, prefix, generation)
        self._entries.append(entry)
        self._by_key.setdefault(key, []).append(entry)
        while len(self._entries) > self._capacity:
            old = self._entries.popleft()
            bucket = self._by_key[old.key]
            bucket.remove(old)
            if not bucket:
                del self._by_key[old.key]

    def find(self, key: CompletionKey, prefix: str) -> tuple[Generation, int] | None:
        """An earlier generation the new prefix types into, and how far into its text."""
        for entry in reversed(self._by_key.get(key, ())):
            if len(prefix) <= len(entry.prefix) or not prefix.startswith(entry.prefix):
                continue  # a repeated request is not typing ahead: it gets a fresh answer
            typed = len(prefix) - len(entry.prefix)
            generation = entry.generation
            final = generation.final
            if final is not None and (final.error or final.finish is FinishReason.CANCELLED):
                continue
            text = generation.text
            if not text.startswith(prefix[len(entry.prefix) :]):
                continue
            if len(text) > typed or final is None:
                return generation, typed
        return None
