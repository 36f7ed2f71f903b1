"""OpenAI answers: chat and text completions, whole or as SSE chunks.

Streams end with a chunk whose ``finish_reason`` is set (Tabby stops reading there and
panics on a ``[DONE]`` before it), an optional usage chunk, then ``data: [DONE]``. Every
chunk has the same ``id`` (the completion's) and ``created``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codefill.api.errors import openai_error_body
from codefill.api.timings import timings
from codefill.api.wire import dumps
from codefill.engine.base import Delta, FinishReason, Usage
from codefill.errors import CodefillError
from codefill.service.completion import Completion

__all__ = ["SSE", "OpenAIEncoder"]

SSE = "text/event-stream"
_DONE = "data: [DONE]\n\n"
_FINISH = {FinishReason.STOP: "stop", FinishReason.LENGTH: "length", FinishReason.CANCELLED: "stop"}


def _event(body: dict[str, Any]) -> str:
    return f"data: {dumps(body)}\n\n"


@dataclass(frozen=True)
class OpenAIEncoder:
    """One answer in the chat (``chat=True``) or the legacy text-completion shape;
    ``include_usage`` adds the usage chunk a stream's client asked for."""

    model: str
    completion: Completion
    chat: bool
    include_usage: bool = False
    media_type: str = SSE

    def _head(self, chunk: bool) -> dict[str, Any]:
        kind = "chat.completion" if self.chat else "text_completion"
        return {
            "id": self.completion.id.replace("cmpl-", "chatcmpl-" if self.chat else "cmpl-", 1),
            "object": kind + (".chunk" if chunk and self.chat else ""),
            "created": int(self.completion.created),
            "model": self.model,
            "system_fingerprint": "codefill",
        }

    def _usage(self, usage: Usage | None) -> dict[str, Any]:
        prompt = self.completion.prompt_tokens
        completion = usage.completion_tokens if usage else 0
        cached = timings(self.completion, usage)["cached_tokens"]
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
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

    def whole(self, completion: Completion, text: str, final: Delta) -> str:
        body = self._head(chunk=False)
        finish = _FINISH[final.finish or FinishReason.STOP]
        body["choices"] = [self._choice(text, finish, whole=True)]
        body["usage"] = self._usage(final.usage)
        body["timings"] = timings(completion, final.usage)
        if not self.chat:
            body["postprocess"] = completion.postprocess_report()
        return dumps(body)

    def opening(self) -> list[str]:
        if not self.chat:
            return []
        first = self._head(chunk=True)
        first["choices"] = [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": ""},
                "logprobs": None,
                "finish_reason": None,
            }
        ]
        return [_event(first)]

    def piece(self, text: str) -> str:
        body = self._head(chunk=True)
        body["choices"] = [self._choice(text, None, whole=False)]
        return _event(body)

    def closing(self, completion: Completion, final: Delta) -> list[str]:
        last = self._head(chunk=True)
        last["choices"] = [
            self._choice("", _FINISH[final.finish or FinishReason.STOP], whole=False)
        ]
        last["timings"] = timings(completion, final.usage)
        if not self.chat:
            last["postprocess"] = completion.postprocess_report()
        frames = [_event(last)]
        if self.include_usage:
            usage = self._head(chunk=True)
            usage["choices"] = []
            usage["usage"] = self._usage(final.usage)
            frames.append(_event(usage))
        return [*frames, _DONE]

    def error(self, error: CodefillError) -> str:
        return _event(openai_error_body(error)) + _DONE
