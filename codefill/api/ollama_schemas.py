"""Ollama wire schemas (``/api/*`` requests), after ollama/ollama ``api/types.go``."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictBool, StrictStr, model_validator

from codefill.api.extra import ExtraChunk
from codefill.api.wire import Int, WireModel

__all__ = ["ChatMessageIn", "ChatRequest", "GenerateRequest", "Options", "ShowRequest"]

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


class GenerateRequest(WireModel):
    """``POST /api/generate``; ``prompt`` may carry the seed's header lines and markers.

    codefill's own fields: ``postprocess`` false turns server-side cleanup off;
    ``input_extra`` gives other files' pieces (llama.cpp's shape); ``memory`` false keeps
    the request out of the session memory.
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
    t_max_predict_ms: Annotated[Int | None, Field(ge=1)] = None
    input_extra: list[ExtraChunk] = Field(default_factory=list)
    memory: StrictBool | None = None
    format: Any = None
    images: Any = None
    context: Any = None


class ChatMessageIn(WireModel):
    role: StrictStr
    content: StrictStr = ""
    images: Any = None


class ChatRequest(WireModel):
    """``POST /api/chat``; streams unless ``stream`` is false, as Ollama does."""

    model: StrictStr = "default"
    messages: list[ChatMessageIn] = Field(default_factory=list)
    stream: StrictBool | None = None
    keep_alive: KeepAlive = None
    options: Options | None = None
    format: Any = None
    tools: Any = None


class ShowRequest(WireModel):
    """``POST /api/show`` takes ``model``, or the older ``name`` that Continue still sends."""

    model: StrictStr | None = None
    name: StrictStr | None = None

    @model_validator(mode="after")
    def _named(self) -> ShowRequest:
        if not (self.model or self.name):
            raise ValueError("give 'model' (or 'name')")
        return self

    @property
    def target(self) -> str:
        return self.model or self.name or ""
