"""Ollama wire schemas (``/api/*`` requests), after ollama/ollama ``api/types.go``."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictBool, StrictStr

from codefill.api.wire import Int, WireModel

__all__ = ["GenerateRequest", "Options"]

Float = float


class Options(WireModel):
    """``options``: the sampling keys codefill honours; any other key is ignored."""

    num_predict: Annotated[Int | None, Field(ge=-2)] = None
    temperature: Annotated[Float | None, Field(ge=0)] = None
    top_p: Annotated[Float | None, Field(ge=0, le=1)] = None
    top_k: Annotated[Int | None, Field(ge=0)] = None
    min_p: Annotated[Float | None, Field(ge=0, le=1)] = None
    repeat_penalty: Annotated[Float | None, Field(ge=0)] = None
    repeat_last_n: Annotated[Int | None, Field(ge=-1)] = None
    presence_penalty: Float | None = None
    frequency_penalty: Float | None = None
    seed: Int | None = None
    stop: list[StrictStr] | StrictStr | None = None
    num_ctx: Annotated[Int | None, Field(ge=1)] = None


class GenerateRequest(WireModel):
    """``POST /api/generate``; ``prompt`` may carry the seed's header lines and markers."""

    model: StrictStr = "default"
    prompt: StrictStr
    suffix: StrictStr | None = None
    system: StrictStr | None = None
    template: StrictStr | None = None
    raw: StrictBool = False
    stream: StrictBool | None = None
    keep_alive: Float | StrictStr | None = None
    options: Options | None = None
    format: Any = None
    images: Any = None
    context: Any = None
