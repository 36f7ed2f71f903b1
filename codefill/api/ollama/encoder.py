"""Ollama answers: NDJSON stream lines and final objects, in the seed's or the native format.

Every final object carries the seed's fields (``input_tokens``, ``output_tokens``,
``total_duration``) and Ollama's own beside them (``prompt_eval_count``, ``eval_count``,
``prompt_eval_duration``, ``eval_duration``, ``load_duration`` in integer nanoseconds,
``context`` on ``/api/generate``), so every Ollama client finds what it reads. The one
field the two formats disagree on is ``total_duration``: float seconds in the seed's
format, integer nanoseconds in Ollama's native one (its official clients refuse a float).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from codefill.api.errors import ollama_error_body
from codefill.api.timings import timings
from codefill.api.wire import dumps
from codefill.engine.base import Delta, Usage
from codefill.errors import CodefillError
from codefill.service.completion import Completion

__all__ = ["OllamaEncoder", "now"]

NDJSON = "application/x-ndjson"


def now() -> str:
    moment = datetime.datetime.now(datetime.UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)


def _line(body: dict[str, Any]) -> str:
    return dumps(body) + "\n"


@dataclass(frozen=True)
class OllamaEncoder:
    """One answer; ``chat`` puts text under ``message``; ``context`` adds Ollama's token
    context to final objects (``/api/generate`` without ``raw``)."""

    model: str
    native: bool
    chat: bool = False
    context: bool = False
    media_type: str = NDJSON

    def _content(self, text: str) -> dict[str, Any]:
        if self.chat:
            return {"message": {"role": "assistant", "content": text}}
        return {"response": text}

    def opening(self) -> list[str]:
        return []

    def piece(self, text: str) -> str:
        return _line(
            {"model": self.model, "created_at": now(), **self._content(text), "done": False}
        )

    def closing(self, completion: Completion, final: Delta) -> list[str]:
        return [_line(self.final(completion, final))]

    def error(self, error: CodefillError) -> str:
        return _line(ollama_error_body(error))

    def whole(self, completion: Completion, text: str, final: Delta) -> str:
        return _line(self.final(completion, final, text))

    def final(self, completion: Completion, delta: Delta, text: str = "") -> dict[str, Any]:
        usage = delta.usage or Usage()
        body: dict[str, Any] = {"model": self.model, "created_at": now(), **self._content(text)}
        body["done"] = True
        body["done_reason"] = delta.finish.value if delta.finish else "stop"
        elapsed = completion.elapsed
        body.update(
            input_tokens=completion.prompt_tokens,
            output_tokens=usage.completion_tokens,
            total_duration=_ns(elapsed) if self.native else round(elapsed, 3),
            load_duration=_ns(completion.load_seconds),
            prompt_eval_count=completion.prompt_tokens,
            prompt_eval_duration=_ns(usage.prompt_seconds),
            eval_count=usage.completion_tokens,
            eval_duration=_ns(usage.generation_seconds),
        )
        if self.context:
            body["context"] = completion.context()
        if not self.chat:
            body["postprocess"] = completion.postprocess_report()
        body["timings"] = timings(completion, usage)
        return body

    def status(self, reason: str) -> str:
        """The answer to a request that only loads or unloads the model."""
        body = {"model": self.model, "created_at": now(), **self._content(""), "done": True}
        body["done_reason"] = reason
        return _line(body)
