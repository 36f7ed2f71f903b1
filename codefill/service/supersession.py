"""Supersession: a newer completion from the same editor and file ends the older one.

Editors without debounce send a request per keystroke; only the newest matters. The key is
the ``X-Codefill-Session`` header when present, else (only for requests that name a file)
the client's address, User-Agent, model and file path. A request without a key never
supersedes anything, so distinct concurrent requests from one process are all served.
"""

from __future__ import annotations

from dataclasses import dataclass

from codefill.service.generation import Generation

__all__ = ["Client", "Supersession", "session_key"]

_LIMIT = 4096


@dataclass(frozen=True)
class Client:
    """Who sent a request, as far as supersession and affinity care."""

    address: str = ""
    user_agent: str = ""
    session: str | None = None


def session_key(client: Client, model: str, file_path: str) -> str | None:
    if client.session:
        return f"session\x00{client.session}"
    if file_path:
        return f"file\x00{client.address}\x00{client.user_agent}\x00{model}\x00{file_path}"
    return None


class Supersession:
    """The live generation per key; claiming a key cancels the generation it had."""

    def __init__(self) -> None:
        self._current: dict[str, Generation] = {}
        self.superseded = 0

    def supersede(self, key: str) -> None:
        """Cancel the key's live generation, before the new request takes a slot."""
        old = self._current.pop(key, None)
        if old is not None and not old.done:
            old.cancel()
            self.superseded += 1

    def claim(self, key: str, generation: Generation) -> None:
        self._current[key] = generation
        if len(self._current) > _LIMIT:
            self._current = {k: g for k, g in self._current.items() if not g.done}

    def current(self, key: str) -> Generation | None:
        return self._current.get(key)
