"""OpenAI wire schemas (chat completions), after openai-python's ``types/chat``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictStr, field_validator

from codefill.api.extra import ExtraChunk
from codefill.api.wire import Int, WireModel

__all__ = [
    "ChatCompletionRequest",
    "ChatMessageIn",
    "CompletionRequest",
    "ContentPart",
    "StreamOptions",
]

_INT32 = 2**31 - 1  # llama.cpp takes these as C ints
Role = Literal["system", "developer", "user", "assistant", "tool", "function"]


class ContentPart(WireModel):
    type: StrictStr
    text: StrictStr | None = None


class ChatMessageIn(WireModel):
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


class Sampling(WireModel):
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

    def stops(self) -> tuple[str, ...]:
        if self.stop is None:
            return ()
        return (self.stop,) if isinstance(self.stop, str) else tuple(self.stop)


class ChatCompletionRequest(Sampling):
    """``POST /chat/completions`` and ``/v1/chat/completions``."""

    messages: Annotated[list[ChatMessageIn], Field(min_length=1)]
    max_completion_tokens: Annotated[Int | None, Field(ge=1, le=_INT32)] = None


class CompletionRequest(Sampling):
    """``POST /completions`` and ``/v1/completions`` (legacy, FIM through ``suffix``).

    codefill's own fields: ``postprocess`` false turns server-side cleanup off;
    ``input_extra`` gives other files' pieces (llama.cpp's shape); ``memory`` false keeps
    the request out of the session memory.
    """

    prompt: StrictStr | Annotated[list[StrictStr], Field(min_length=1, max_length=1)]
    suffix: StrictStr | None = None
    echo: StrictBool = False
    postprocess: StrictBool | None = None
    t_max_predict_ms: Annotated[Int | None, Field(ge=1)] = None
    input_extra: list[ExtraChunk] = Field(default_factory=list)
    memory: StrictBool | None = None

    @field_validator("echo")
    @classmethod
    def _no_echo(cls, value: bool) -> bool:
        if value:
            raise ValueError("echo is not supported")
        return value

    def prompt_text(self) -> str:
        return self.prompt if isinstance(self.prompt, str) else self.prompt[0]
