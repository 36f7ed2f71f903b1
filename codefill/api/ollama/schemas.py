"""Ollama wire schemas (``/api/*`` requests), after ollama/ollama ``api/types.go``, and
how each maps onto a service request."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictBool, StrictStr, model_validator

from codefill.api.extra import ExtraChunk, snippets
from codefill.api.wire import Int, WireModel
from codefill.durations import parse_duration
from codefill.errors import BadRequest
from codefill.prompt.chat import ChatMessage
from codefill.service.requests import (
    ChatRequest,
    Client,
    CompletionRequest,
    Dialect,
    SamplingFields,
)

__all__ = ["ChatBody", "GenerateBody", "OllamaMessage", "Options", "ShowBody"]

KeepAlive = float | StrictStr | None
_INT32 = 2**31 - 1  # llama.cpp takes these as C ints


class Options(WireModel):
    """``options``: the sampling keys codefill honours; any other key is ignored."""

    num_predict: Annotated[Int | None, Field(ge=-2, le=_INT32)] = None
    temperature: Annotated[float | None, Field(ge=0)] = None
    top_p: Annotated[float | None, Field(ge=0, le=1)] = None
    top_k: Annotated[Int | None, Field(ge=0, le=_INT32)] = None
    min_p: Annotated[float | None, Field(ge=0, le=1)] = None
    repeat_penalty: Annotated[float | None, Field(ge=0)] = None
    repeat_last_n: Annotated[Int | None, Field(ge=-1, le=_INT32)] = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: Int | None = None
    stop: list[StrictStr] | StrictStr | None = None
    num_ctx: Annotated[Int | None, Field(ge=1, le=_INT32)] = None

    def sampling(self, time_budget_ms: int | None = None) -> SamplingFields:
        stop = [self.stop] if isinstance(self.stop, str) else self.stop or []
        return SamplingFields(
            max_tokens=self.num_predict,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            min_p=self.min_p,
            repeat_penalty=self.repeat_penalty,
            repeat_last_n=self.repeat_last_n,
            presence_penalty=self.presence_penalty,
            frequency_penalty=self.frequency_penalty,
            seed=self.seed,
            stop=tuple(stop),
            time_budget_ms=time_budget_ms,
        )


def keep_alive_seconds(value: KeepAlive) -> float | None:
    """Ollama's ``keep_alive``: seconds, or a Go duration such as ``"5m"``."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as error:
        raise BadRequest(str(error), param="keep_alive") from None


class GenerateBody(WireModel):
    """``POST /api/generate``; ``prompt`` may carry the seed's header lines and markers.

    codefill's own fields: ``postprocess`` false turns server-side cleanup off;
    ``token_healing`` false turns token healing at a mid-word cursor off; ``input_extra``
    gives other files' pieces (llama.cpp's shape); ``memory`` false keeps the request out
    of the session memory.
    """

    model: StrictStr = "default"
    prompt: StrictStr
    suffix: StrictStr | None = None
    system: StrictStr | None = None
    template: StrictStr | None = None
    raw: StrictBool = False
    stream: StrictBool | None = None
    keep_alive: KeepAlive = None
    options: Options | None = None
    postprocess: StrictBool | None = None
    token_healing: StrictBool | None = None
    t_max_predict_ms: Annotated[Int | None, Field(ge=1)] = None
    input_extra: list[ExtraChunk] = Field(default_factory=list)
    memory: StrictBool | None = None
    format: Any = None
    images: Any = None
    context: Any = None

    @property
    def loads_only(self) -> bool:
        """An empty prompt only loads the model (or, with ``keep_alive: 0``, unloads it)."""
        return self.prompt == "" and not self.suffix

    def to_request(self, client: Client) -> CompletionRequest:
        options = self.options or Options()
        return CompletionRequest(
            model=self.model,
            prompt=self.prompt,
            dialect=Dialect.OLLAMA,
            sampling=options.sampling(self.t_max_predict_ms),
            suffix=self.suffix,
            raw=self.raw,
            system=self.system,
            template=self.template,
            keep_alive=keep_alive_seconds(self.keep_alive),
            num_ctx=options.num_ctx,
            postprocess=self.postprocess,
            token_healing=self.token_healing,
            extra=snippets(self.input_extra),
            memory=self.memory,
            client=client,
        )


class OllamaMessage(WireModel):
    role: StrictStr
    content: StrictStr = ""
    images: Any = None


class ChatBody(WireModel):
    """``POST /api/chat``; streams unless ``stream`` is false, as Ollama does."""

    model: StrictStr = "default"
    messages: list[OllamaMessage] = Field(default_factory=list)
    stream: StrictBool | None = None
    keep_alive: KeepAlive = None
    options: Options | None = None
    format: Any = None
    tools: list[Any] | None = None

    def to_request(self, client: Client) -> ChatRequest:
        options = self.options or Options()
        return ChatRequest(
            model=self.model,
            messages=tuple(ChatMessage(m.role, m.content) for m in self.messages),
            dialect=Dialect.OLLAMA,
            sampling=options.sampling(),
            keep_alive=keep_alive_seconds(self.keep_alive),
            num_ctx=options.num_ctx,
            client=client,
            tools=tuple(self.tools or ()),
        )


class ShowBody(WireModel):
    """``POST /api/show`` takes ``model``, or the older ``name`` that Continue still sends."""

    model: StrictStr | None = None
    name: StrictStr | None = None

    @model_validator(mode="after")
    def _named(self) -> ShowBody:
        if not (self.model or self.name):
            raise ValueError("give 'model' (or 'name')")
        return self

    @property
    def target(self) -> str:
        return self.model or self.name or ""
