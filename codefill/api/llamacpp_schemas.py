"""llama.cpp server wire schemas: ``POST /infill``, as llama.vim and llama.vscode send it."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StrictStr

from codefill.api.extra import ExtraChunk
from codefill.api.wire import Int, WireModel

__all__ = ["ExtraChunk", "InfillRequest"]

_INT32 = 2**31 - 1


class InfillRequest(WireModel):
    """``POST /infill``: prefix and suffix as fields, ``prompt`` typed after the cursor.

    The llama.cpp knobs codefill has no use for (``id_slot``, ``cache_prompt``,
    ``samplers``, ``n_indent``, ``t_max_prompt_ms``, ...) are accepted and ignored: the
    scheduler picks slots and reuses the KV cache by itself, and post-processing does
    what ``n_indent`` does. ``postprocess`` and ``memory`` are codefill's own fields.
    """

    model: StrictStr = "default"
    input_prefix: StrictStr = ""
    input_suffix: StrictStr = ""
    input_extra: list[ExtraChunk] = Field(default_factory=list)
    prompt: StrictStr = ""
    stream: StrictBool = False
    n_predict: Annotated[Int | None, Field(ge=-1, le=_INT32)] = None
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None
    top_k: Annotated[Int | None, Field(ge=0, le=_INT32)] = None
    top_p: Annotated[float | None, Field(ge=0, le=1)] = None
    min_p: Annotated[float | None, Field(ge=0, le=1)] = None
    repeat_penalty: Annotated[float | None, Field(ge=0)] = None
    presence_penalty: Annotated[float | None, Field(ge=-2, le=2)] = None
    frequency_penalty: Annotated[float | None, Field(ge=-2, le=2)] = None
    seed: Int | None = None
    stop: list[StrictStr] = Field(default_factory=list)
    t_max_predict_ms: Int | None = None
    response_fields: list[StrictStr] | None = None
    postprocess: StrictBool | None = None
    memory: StrictBool | None = None

    @property
    def warm_up(self) -> bool:
        """``n_predict: 0`` only fills the cache (llama.vim sends it in the background)."""
        return self.n_predict == 0
