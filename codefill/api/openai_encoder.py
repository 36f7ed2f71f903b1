"""OpenAI answer objects: chat and text completions, whole or as SSE chunks.

Streams end with a chunk whose ``finish_reason`` is set (Tabby stops reading there and
panics on a ``[DONE]`` before it), an optional usage chunk, then ``data: [DONE]``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from codefill.api.errors import openai_error_body
from codefill.api.timings import timings
from codefill.api.wire import dumps
from codefill.engine.base import Delta, FinishReason, Usage
from codefill.errors import CodefillError
from codefill.service.completion import Run

__all__ = ["OpenAIEncoder"]

_FINISH = {FinishReason.STOP: "stop", FinishReason.LENGTH: "length", FinishReason.CANCELLED: "stop"}


def _event(body: dict[str, Any]) -> str:
    return f"data: {dumps(body)}\n\n"


@dataclass
class OpenAIEncoder:
    """One answer in the chat (``chat=True``) or the legacy text-completion shape."""

    model: str
    run: Run
    chat: bool
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def _head(self, chunk: bool) -> dict[str, Any]:
        kind = "chat.completion" if self.chat else "text_completion"
        return {
            "id": ("chatcmpl-" if self.chat else "cmpl-") + self.id,
            "object": kind + (".chunk" if chunk and self.chat else ""),
            "created": int(self.run.created),
            "model": self.model,
            "system_fingerprint": "codefill",
        }

    def _usage(self, usage: Usage | None) -> dict[str, Any]:
        completion = usage.completion_tokens if usage else 0
        cached = timings(self.run, usage)["cached_tokens"]
        return {
            "prompt_tokens": self.run.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.run.prompt_tokens + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
        }

    def _choice(self, text: str, finish: str | None, *, whole: bool) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": 0}
        if not self.chat:
            choice["text"] = text
        elif whole:
            choice["message"] = {"role": "assistant", "content": text}
        else:
            choice["delta"] = {"content": text} if text else {}
        choice["logprobs"] = None
        choice["finish_reason"] = finish
        return choice

    def whole(self, text: str, final: Delta) -> dict[str, Any]:
        body = self._head(chunk=False)
        finish = _FINISH[final.finish or FinishReason.STOP]
        body["choices"] = [self._choice(text, finish, whole=True)]
        body["usage"] = self._usage(final.usage)
        body["timings"] = timings(self.run, final.usage)
        return body

    def _chunk(self, text: str, finish: str | None = None) -> str:
        body = self._head(chunk=True)
        body["choices"] = [self._choice(text, finish, whole=False)]
        return _event(body)

    async def stream(self, include_usage: bool) -> AsyncIterator[str]:
        if self.chat:
            first = self._head(chunk=True)
            first["choices"] = [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": ""},
                    "logprobs": None,
                    "finish_reason": None,
                }
            ]
            yield _event(first)
        async with contextlib.aclosing(self.run.stream) as deltas:
            try:
                async for delta in deltas:
                    if delta.text:
                        yield self._chunk(delta.text)
                    if delta.finish is not None:
                        last = self._head(chunk=True)
                        last["choices"] = [self._choice("", _FINISH[delta.finish], whole=False)]
                        last["timings"] = timings(self.run, delta.usage)
                        yield _event(last)
                        if include_usage:
                            usage = self._head(chunk=True)
                            usage["choices"] = []
                            usage["usage"] = self._usage(delta.usage)
                            yield _event(usage)
                        break
            except CodefillError as error:
                yield _event(openai_error_body(error))
        yield "data: [DONE]\n\n"
