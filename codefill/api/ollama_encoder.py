"""Ollama answer objects: stream lines and final lines, in the seed's or the native format.

The seed format (the default) reports ``input_tokens``, ``output_tokens`` and a float
``total_duration`` in seconds. Ollama's official clients reject a float duration, so the
native format reports integer nanoseconds with Ollama's own names. Both carry ``timings``.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from codefill.api.timings import timings
from codefill.api.wire import dumps
from codefill.engine.base import Delta, Usage
from codefill.errors import CodefillError
from codefill.service.completion import Run

__all__ = ["OllamaEncoder", "now"]


def now() -> str:
    moment = datetime.datetime.now(datetime.UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)


@dataclass(frozen=True)
class OllamaEncoder:
    """Builds the objects of one answer; ``chat`` puts text under ``message``."""

    model: str
    native: bool
    chat: bool = False

    def _content(self, text: str) -> dict[str, Any]:
        if self.chat:
            return {"message": {"role": "assistant", "content": text}}
        return {"response": text}

    def piece(self, text: str) -> dict[str, Any]:
        return {"model": self.model, "created_at": now(), **self._content(text), "done": False}

    def final(self, run: Run, delta: Delta, text: str = "") -> dict[str, Any]:
        usage = delta.usage or Usage()
        body: dict[str, Any] = {"model": self.model, "created_at": now(), **self._content(text)}
        body["done"] = True
        body["done_reason"] = delta.finish.value if delta.finish else "stop"
        body.update(self._metrics(run, usage))
        body["timings"] = timings(run, usage)
        return body

    def status(self, reason: str) -> dict[str, Any]:
        """The answer to a request that only loads or unloads the model."""
        body = {"model": self.model, "created_at": now(), **self._content(""), "done": True}
        body["done_reason"] = reason
        return body

    def _metrics(self, run: Run, usage: Usage) -> dict[str, Any]:
        if not self.native:
            return {
                "input_tokens": run.prompt_tokens,
                "output_tokens": usage.completion_tokens,
                "total_duration": round(run.elapsed, 3),
            }
        return {
            "total_duration": _ns(run.elapsed),
            "load_duration": _ns(run.load_seconds),
            "prompt_eval_count": run.prompt_tokens,
            "prompt_eval_duration": _ns(usage.prompt_seconds),
            "eval_count": usage.completion_tokens,
            "eval_duration": _ns(usage.generation_seconds),
        }

    async def stream(self, run: Run) -> AsyncIterator[str]:
        """NDJSON lines: one per piece of text, then the final line; errors in-band."""
        async with contextlib.aclosing(run.stream) as deltas:
            try:
                async for delta in deltas:
                    if delta.text:
                        yield dumps(self.piece(delta.text)) + "\n"
                    if delta.finish is not None:
                        yield dumps(self.final(run, delta)) + "\n"
                        return
            except CodefillError as error:
                yield dumps({"error": error.message}) + "\n"
