"""OpenAI wire schemas (chat and text completions), after openai-python's ``types``, and
how each maps onto a service request."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictStr, field_validator

from codefill.api.extra import ExtraChunk, snippets
from codefill.api.wire import Int, WireModel
from codefill.prompt.chat import ChatMessage
from codefill.service.requests import (
    ChatRequest,
    Client,
    CompletionRequest,
    Dialect,
    SamplingFields,
)

__all__ = [
    "ChatCompletionBody",
    "CompletionBody",
    "ContentPart",
    "OpenAIMessage",
    "SamplingBody",
    "StreamOptions",
]

_INT32 = 2**31 - 1  # llama.cpp takes these as C ints
Role = Literal["system", "developer", "user", "assistant", "tool", "function"]


class ContentPart(WireModel):
    type: StrictStr
    text: StrictStr | None = None


class OpenAIMessage(WireModel):
    role: Role
    content: StrictStr | list[ContentPart] | None = None
    name: StrictStr | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text or "" for part in self.content if part.type == "text")


class StreamOptions(WireModel):
    include_usage: StrictBool = False


class SamplingBody(WireModel):
    """The sampling fields both OpenAI routes share, plus llama.cpp-style extensions."""

    model: StrictStr = "default"
    stream: StrictBool = False
    stream_options: StreamOptions | None = None
    max_tokens: Annotated[Int | None, Field(ge=1, le=_INT32)] = None
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None
    top_p: Annotated[float | None, Field(ge=0, le=1)] = None
    stop: StrictStr | list[StrictStr] | None = None
    seed: Int | None = None
    n: Annotated[Int, Field(ge=1, le=1)] = 1
    presence_penalty: Annotated[float | None, Field(ge=-2, le=2)] = None
    frequency_penalty: Annotated[float | None, Field(ge=-2, le=2)] = None
    top_k: Annotated[Int | None, Field(ge=0, le=_INT32)] = None
    min_p: Annotated[float | None, Field(ge=0, le=1)] = None
    repeat_penalty: Annotated[float | None, Field(ge=0)] = None

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)

    def sampling(self, max_tokens: int | None, time_budget_ms: int | None = None) -> SamplingFields:
        stop = (
            () if self.stop is None else (self.stop,) if isinstance(self.stop, str) else self.stop
        )
        return SamplingFields(
            max_tokens=max_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            min_p=self.min_p,
            repeat_penalty=self.repeat_penalty,
            presence_penalty=self.presence_penalty,
            frequency_penalty=self.frequency_penalty,
            seed=self.seed,
            stop=tuple(stop),
            time_budget_ms=time_budget_ms,
        )


class ChatCompletionBody(SamplingBody):
    """``POST /chat/completions`` and ``/v1/chat/completions``."""

    messages: Annotated[list[OpenAIMessage], Field(min_length=1)]
    max_completion_tokens: Annotated[Int | None, Field(ge=1, le=_INT32)] = None
    tools: list[Any] | None = None

    def to_request(self, client: Client) -> ChatRequest:
        return ChatRequest(
            model=self.model,
            messages=tuple(ChatMessage(m.role, m.text()) for m in self.messages),
            dialect=Dialect.OPENAI,
            sampling=self.sampling(self.max_completion_tokens or self.max_tokens),
            client=client,
            tools=tuple(self.tools or ()),
        )


class CompletionBody(SamplingBody):
    """``POST /completions`` and ``/v1/completions`` (legacy, FIM through ``suffix``).

    codefill's own fields: ``postprocess`` false turns server-side cleanup off;
    ``token_healing`` false turns token healing at a mid-word cursor off; ``input_extra``
    gives other files' pieces (llama.cpp's shape); ``memory`` false keeps the request out
    of the session memory.
    """

    prompt: StrictStr | Annotated[list[StrictStr], Field(min_length=1, max_length=1)]
    suffix: StrictStr | None = None
    echo: StrictBool = False
    postprocess: StrictBool | None = None
    token_healing: StrictBool | None = None
    t_max_predict_ms: Annotated[Int | None, Field(ge=1)] = None
    input_extra: list[ExtraChunk] = Field(default_factory=list)
    memory: StrictBool | None = None

    @field_validator("echo")
    @classmethod
    def _no_echo(cls, value: bool) -> bool:
        if value:
            raise ValueError("echo is not supported")
        return value

    def to_request(self, client: Client) -> CompletionRequest:
        return CompletionRequest(
            model=self.model,
            prompt=self.prompt if isinstance(self.prompt, str) else self.prompt[0],
            dialect=Dialect.OPENAI,
            sampling=self.sampling(self.max_tokens, self.t_max_predict_ms),
            suffix=self.suffix,
            postprocess=self.postprocess,
            token_healing=self.token_healing,
            extra=snippets(self.input_extra),
            memory=self.memory,
            client=client,
        )
