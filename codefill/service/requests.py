"""Dialect-neutral requests: what the HTTP layers hand to the service."""

from __future__ import annotations

from dataclasses import dataclass, field

from codefill.engine.base import SamplingParams
from codefill.prompt.chat import ChatMessage
from codefill.prompt.meta import CodeContext
from codefill.prompt.repository import ContextSnippet
from codefill.service.supersession import Client

__all__ = ["ChatRequest", "Client", "CompletionRequest", "ContextSnippet"]


@dataclass(frozen=True)
class CompletionRequest:
    """A code completion: a seed-format prompt (or a raw one) for a model.

    ``postprocess`` None means the model's (or the server's) default. ``num_ctx`` caps the
    context this request may use. ``keep_alive`` is in seconds (negative: forever).
    ``code`` gives prefix and suffix as fields (llama.cpp's ``/infill``): it is used as it
    is, and ``prompt`` is not parsed. ``extra`` holds pieces of other files the client sent
    (``input_extra``); ``memory`` False keeps the request out of the session memory.
    """

    model: str
    prompt: str
    sampling: SamplingParams = field(default_factory=SamplingParams)
    suffix: str | None = None
    raw: bool = False
    system: str | None = None
    template: str | None = None
    keep_alive: float | None = None
    num_ctx: int | None = None
    postprocess: bool | None = None
    client: Client = field(default_factory=Client)
    code: CodeContext | None = None
    extra: tuple[ContextSnippet, ...] = ()
    memory: bool | None = None


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: tuple[ChatMessage, ...]
    sampling: SamplingParams = field(default_factory=SamplingParams)
    keep_alive: float | None = None
    num_ctx: int | None = None
    client: Client = field(default_factory=Client)
