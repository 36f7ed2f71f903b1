"""Dialect-neutral requests: what the HTTP dialects hand to the service.

A dialect's router parses its own wire schema and fills one of these records with what the
client said; ``None`` in :class:`SamplingFields` means "the client did not say", and the
service fills it in from that dialect's defaults (``service/sampling.py``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from codefill.prompt.chat import ChatMessage
from codefill.prompt.repository import ContextSnippet

__all__ = [
    "ChatRequest",
    "Client",
    "CompletionRequest",
    "ContextSnippet",
    "Dialect",
    "SamplingFields",
]


class Dialect(enum.Enum):
    """Which API a request came through; each has its own sampling defaults."""

    OLLAMA = "ollama"
    OPENAI = "openai"
    LLAMACPP = "llamacpp"
    TABBY = "tabby"


@dataclass(frozen=True)
class Client:
    """Who sent a request, as far as supersession and replica affinity care."""

    address: str = ""
    user_agent: str = ""
    session: str | None = None


@dataclass(frozen=True)
class SamplingFields:
    """The sampling knobs a request set; None leaves a knob to the dialect's default.

    ``max_tokens`` of 0 or less means "as many as fit" (Ollama's ``num_predict: -1``);
    ``seed`` below 0 means a random seed, as in Ollama and llama.cpp.
    """

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    min_p: float | None = None
    repeat_penalty: float | None = None
    repeat_last_n: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] = ()
    time_budget_ms: int | None = None  # generation time before ending with "length"


@dataclass(frozen=True)
class CompletionRequest:
    """A code completion: a seed-format prompt (or a raw one) for a model.

    ``model`` empty means the default model. ``postprocess`` None means the model's (or the
    server's) default. ``num_ctx`` caps the context this request may use. ``keep_alive`` is
    in seconds (negative: forever). ``prefix`` set means the client gave prefix and suffix
    as fields (llama.cpp's ``/infill``): they are used as they are, and ``prompt`` is not
    parsed; ``language`` and ``file_path`` then say what the client knows of the file
    (empty: taken from the path, or from ``extra``). ``extra`` holds other files' text the
    client sent as context (``input_extra``, Tabby's segments); ``memory`` False keeps the
    request out of the session memory.
    """

    model: str
    prompt: str = ""
    dialect: Dialect = Dialect.OLLAMA
    sampling: SamplingFields = field(default_factory=SamplingFields)
    suffix: str | None = None
    raw: bool = False
    system: str | None = None
    template: str | None = None
    keep_alive: float | None = None
    num_ctx: int | None = None
    postprocess: bool | None = None
    token_healing: bool | None = None  # None: the model's, else the server's
    client: Client = field(default_factory=Client)
    prefix: str | None = None
    language: str = ""
    file_path: str = ""
    extra: tuple[ContextSnippet, ...] = ()
    memory: bool | None = None


@dataclass(frozen=True)
class ChatRequest:
    """A chat completion: messages rendered through the model's own chat template.

    ``tools`` are the tool descriptions the client offered (JSON objects, as sent): a model
    whose chat template reads them gets them rendered there; any other model refuses
    them (as Ollama does) rather than silently ignoring them.
    """

    model: str
    messages: tuple[ChatMessage, ...]
    dialect: Dialect = Dialect.OLLAMA
    sampling: SamplingFields = field(default_factory=SamplingFields)
    keep_alive: float | None = None
    num_ctx: int | None = None
    client: Client = field(default_factory=Client)
    tools: tuple[Any, ...] = ()
