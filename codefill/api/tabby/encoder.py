"""Tabby answers for ``/v1/completions``: ``{"id", "choices": [{"index", "text"}]}``.

The ``id`` is the completion's own (``cmpl-<hex>``, also in the ``X-Codefill-Completion-Id``
header), so the events an extension sends back about it find it. Tabby does not stream
completions; asked to, this encoder sends the one answer when the text is complete.
"""

from __future__ import annotations

from dataclasses import dataclass

from codefill.api.errors import openai_error_body
from codefill.api.wire import dumps
from codefill.engine.base import Delta
from codefill.errors import CodefillError
from codefill.service.completion import Completion

__all__ = ["TabbyEncoder"]


@dataclass(frozen=True)
class TabbyEncoder:
    """One answer; ``crlf`` puts back the CRLF line ends the request came with."""

    crlf: bool = False
    media_type: str = "application/json"

    def opening(self) -> list[str]:
        return []

    def piece(self, text: str) -> str:
        return ""  # the text goes out whole, in closing()

    def closing(self, completion: Completion, final: Delta) -> list[str]:
        return [self.whole(completion, completion.text, final) + "\n"]

    def error(self, error: CodefillError) -> str:
        return dumps(openai_error_body(error)) + "\n"

    def whole(self, completion: Completion, text: str, final: Delta) -> str:
        if self.crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return dumps({"id": completion.id, "choices": [{"index": 0, "text": text}]})
