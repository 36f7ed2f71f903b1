"""The registry of live completions, and its two lookups: supersession and type-ahead.

**Supersession.** Editors without debounce send a request per keystroke; only the newest
matters. A request with a session key (the ``X-Codefill-Session`` header, else, only for
requests that name a file, the client's address, User-Agent, model and file path) ends the
completion that key still has running. A request without a key never supersedes anything,
so distinct concurrent requests from one process are all served.

**Type-ahead.** When a request's prefix is an earlier request's prefix plus the text typed
since, everything else that shapes the answer is unchanged (:class:`CompletionKey`), and the
typed text starts the earlier completion, the rest of that completion is the answer: served
at once with no model work, or followed live while it is still being generated.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

from codefill.service.completion import Completion, CompletionState
from codefill.service.requests import Client

__all__ = ["CompletionKey", "LiveCompletions", "session_key"]

_SESSIONS = 4096


def session_key(client: Client, model: str, file_path: str) -> str | None:
    if client.session:
        return f"session\x00{client.session}"
    if file_path:
        return f"file\x00{client.address}\x00{client.user_agent}\x00{model}\x00{file_path}"
    return None


@dataclass(frozen=True)
class CompletionKey:
    """Everything except the prefix that must match for an earlier answer to apply."""

    model: str
    template: str
    language: str
    file_path: str
    suffix: str
    stop: tuple[str, ...]
    max_tokens: int | None
    postprocess: bool
    token_healing: bool = False


@dataclass(frozen=True)
class _Typed:
    key: CompletionKey
    prefix: str
    completion: Completion


class LiveCompletions:
    """Completions in flight, the newest per session, and recent ones to type ahead into.

    ``typeahead_capacity`` bounds how many finished completions stay findable.
    """

    def __init__(self, typeahead_capacity: int = 256) -> None:
        self._live: set[Completion] = set()
        self._sessions: dict[str, Completion] = {}
        self._capacity = typeahead_capacity
        self._recent: collections.deque[_Typed] = collections.deque()
        self._by_key: dict[CompletionKey, list[_Typed]] = {}
        self.superseded = 0

    def add(self, completion: Completion) -> None:
        """Track a started completion until it ends (for :meth:`cancel_all`)."""
        self._live.add(completion)
        completion.when_done(self._live.discard)

    def cancel_all(self) -> None:
        for completion in list(self._live):
            completion.cancel()

    # --- supersession --------------------------------------------------------------------

    def supersede(self, session: str) -> None:
        """End the session's running completion, before the new request takes a slot."""
        old = self._sessions.pop(session, None)
        if old is not None and not old.done:
            old.cancel(CompletionState.SUPERSEDED)
            self.superseded += 1

    def claim(self, session: str, completion: Completion) -> None:
        """``completion`` is now the one a newer request from ``session`` would end."""
        self._sessions[session] = completion
        if len(self._sessions) > _SESSIONS:
            self._sessions = {k: c for k, c in self._sessions.items() if not c.done}

    def of_session(self, session: str) -> Completion | None:
        return self._sessions.get(session)

    # --- type-ahead ----------------------------------------------------------------------

    def remember(self, key: CompletionKey, prefix: str, completion: Completion) -> None:
        entry = _Typed(key, prefix, completion)
        self._recent.append(entry)
        self._by_key.setdefault(key, []).append(entry)
        while len(self._recent) > self._capacity:
            old = self._recent.popleft()
            bucket = self._by_key[old.key]
            bucket.remove(old)
            if not bucket:
                del self._by_key[old.key]

    def typed_into(self, key: CompletionKey, prefix: str) -> tuple[Completion, int] | None:
        """An earlier completion the new prefix types into, and how far into its text."""
        for entry in reversed(self._by_key.get(key, ())):
            if len(prefix) <= len(entry.prefix) or not prefix.startswith(entry.prefix):
                continue  # a repeated request is not typing ahead: it gets a fresh answer
            typed = len(prefix) - len(entry.prefix)
            completion = entry.completion
            final = completion.final
            if final is not None and (final.error or completion.state is not _FINISHED):
                continue
            text = completion.text
            if not text.startswith(prefix[len(entry.prefix) :]):
                continue
            if len(text) > typed or final is None:
                return completion, typed
        return None


_FINISHED = CompletionState.FINISHED
