"""The ``timings`` object every answer carries, so users can see cache reuse working."""

from __future__ import annotations

from typing import Any

from codefill.engine.base import Usage
from codefill.service.completion import Completion

__all__ = ["timings"]


def timings(completion: Completion, usage: Usage | None) -> dict[str, Any]:
    """Prompt tokens evaluated and taken from the KV cache, and where the time went (ms).

    ``decode_ms`` is llama.cpp's own share of ``prompt_ms + generation_ms`` (the decodes
    this job was part of); the rest is the scheduler's. ``queue_ms`` includes ``hold_ms``,
    the wait the engine was told to give a keystroke in a burst of typing. ``first_text_ms``
    runs from the request's arrival to the first text post-processing let out;
    ``draft_tokens`` and ``accepted_tokens`` count speculative decoding's drafts and those
    the model wrote. A type-ahead answer's usage holds only its own wait for the earlier
    completion's text (``Completion``).
    """
    usage = usage or Usage()
    cached = usage.cached_tokens
    evaluated = max(usage.prompt_tokens - cached, 0)
    return {
        "prompt_tokens": completion.prompt_tokens,
        "cached_tokens": cached,
        "evaluated_tokens": evaluated,
        "completion_tokens": usage.completion_tokens,
        "truncated_tokens": completion.truncated_tokens,
        "dropped_messages": completion.dropped_messages,
        "typeahead": completion.typeahead,
        "queue_ms": round(usage.queue_seconds * 1000, 2),
        "hold_ms": round(completion.hold_seconds * 1000, 2),
        "prompt_ms": round(usage.prompt_seconds * 1000, 2),
        "generation_ms": round(usage.generation_seconds * 1000, 2),
        "decode_ms": round(usage.decode_seconds * 1000, 2),
        "draft_tokens": usage.draft_tokens,
        "accepted_tokens": usage.accepted_tokens,
        "postprocess_ms": round(completion.postprocess_seconds * 1000, 3),
        "first_text_ms": _since(completion.started, completion.first_token_at),
        "total_ms": round(completion.elapsed * 1000, 2),
    }


def _since(start: float, then: float | None) -> float | None:
    return None if then is None else round((then - start) * 1000, 2)
