"""The OpenAI-compatible wire format of remote upstreams, as pure functions: bodies in, chunks out.

Nothing here does I/O. :func:`request_body` turns a :class:`Job` into the path and JSON of a
streaming ``/v1/completions`` (FIM and raw prompts, rendered by codefill) or
``/v1/chat/completions`` request (the upstream applies the model's chat template);
:class:`EventDecoder` cuts a server-sent event stream into ``data`` payloads; and
:func:`parse_chunk` reads one payload into text, finish reason, usage or an in-band error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codefill.engine.base import FinishReason, Job
from codefill.types import JSON

__all__ = ["DONE", "Chunk", "EventDecoder", "error_message", "parse_chunk", "request_body"]

DONE = "[DONE]"


def request_body(job: Job, model: str | None) -> tuple[str, JSON]:
    """The path and body for ``job``: a streamed completion, or a chat when it has messages."""
    sampling = job.sampling
    body: JSON = {}
    if model is not None:
        body["model"] = model
    if job.messages:
        path = "/v1/chat/completions"
        body["messages"] = [{"role": role, "content": text} for role, text in job.messages]
    else:
        path = "/v1/completions"
        body["prompt"] = job.text
        # FIM and end markers are special tokens; vLLM drops them from the text by default,
        # and then the stop strings naming them never match.
        body["skip_special_tokens"] = False
    body["max_tokens"] = sampling.max_tokens
    body["temperature"] = max(sampling.temperature, 0.0)
    body["top_p"] = sampling.top_p
    if sampling.seed is not None:
        body["seed"] = sampling.seed
    body["stop"] = list(sampling.stop)
    body["stream"] = True
    body["stream_options"] = {"include_usage": True}
    body.update(_extra_sampling(job))
    return path, body


def _extra_sampling(job: Job) -> JSON:
    """Non-OpenAI samplers, only when they change anything (vLLM, SGLang, llama.cpp read them).

    The repetition penalty goes under both spellings: ``repeat_penalty`` (llama.cpp) and
    ``repetition_penalty`` (vLLM, SGLang); each server ignores the other's name.
    """
    sampling = job.sampling
    extra: JSON = {}
    if sampling.top_k > 0:
        extra["top_k"] = sampling.top_k
    if sampling.min_p > 0:
        extra["min_p"] = sampling.min_p
    if sampling.repeat_penalty != 1.0:
        extra["repeat_penalty"] = sampling.repeat_penalty
        extra["repetition_penalty"] = sampling.repeat_penalty
    if sampling.presence_penalty:
        extra["presence_penalty"] = sampling.presence_penalty
    if sampling.frequency_penalty:
        extra["frequency_penalty"] = sampling.frequency_penalty
    return extra


class EventDecoder:
    """Server-sent events, fed one line at a time (without its newline).

    ``feed`` returns an event's ``data`` (its lines joined by newlines) when the blank line
    that ends the event arrives, else None. Comments (``: ping``) and other fields are
    skipped. ``flush`` returns an event cut off by the end of the stream.
    """

    def __init__(self) -> None:
        self._data: list[str] = []

    def feed(self, line: str) -> str | None:
        if not line:
            return self.flush()
        if line.startswith("data:"):
            value = line[5:]
            self._data.append(value[1:] if value.startswith(" ") else value)
        return None

    def flush(self) -> str | None:
        if not self._data:
            return None
        data, self._data = "\n".join(self._data), []
        return data


@dataclass(frozen=True)
class Chunk:
    """What one streamed payload says; every field may be empty."""

    text: str = ""
    finish: FinishReason | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    error: str | None = None


def parse_chunk(payload: Any) -> Chunk:
    """Read a completion or chat-completion chunk; a malformed one reads as an error."""
    if not isinstance(payload, dict):
        return Chunk(error=f"unexpected event from the upstream: {str(payload)[:200]}")
    if "error" in payload:
        return Chunk(error=error_message(payload))
    text = ""
    finish = None
    choices = payload.get("choices") or []
    if choices and isinstance(choices[0], dict):
        choice = choices[0]
        delta = choice.get("delta")
        piece = delta.get("content") if isinstance(delta, dict) else choice.get("text")
        text = piece if isinstance(piece, str) else ""
        reason = choice.get("finish_reason")
        if reason is not None:
            finish = FinishReason.LENGTH if reason == "length" else FinishReason.STOP
    usage = payload.get("usage")
    if not isinstance(usage, dict):
        return Chunk(text, finish)
    details = usage.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    return Chunk(
        text,
        finish,
        prompt_tokens=_count(usage.get("prompt_tokens")),
        completion_tokens=_count(usage.get("completion_tokens")),
        cached_tokens=_count(cached),
    )


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and value >= 0 else None


def error_message(body: Any) -> str:
    """The message of an upstream error body, in OpenAI's, vLLM's or FastAPI's shape."""
    if isinstance(body, dict):
        error = body.get("error", body.get("detail", body.get("message")))
        if isinstance(error, dict):
            error = error.get("message", error)
        if error is not None:
            return str(error)[:500]
    return str(body)[:500]
