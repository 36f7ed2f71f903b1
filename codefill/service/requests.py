"""Dialect-neutral requests: what the HTTP layers hand to the service."""

from __future__ import annotations

from dataclasses import dataclass, field

from codefill.engine.base import SamplingParams
from codefill.prompt.chat import ChatMessage

__all__ = ["ChatRequest", "CompletionRequest"]


@dataclass(frozen=True)
class CompletionRequest:
    """A code completion: a seed-format prompt (or a raw one) for a model."""

    model: str
    prompt: str
    sampling: SamplingParams = field(default_factory=SamplingParams)
    suffix: str | None = None
    raw: bool = False


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: tuple[ChatMessage, ...]
    sampling: SamplingParams = field(default_factory=SamplingParams)
