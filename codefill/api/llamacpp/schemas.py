"""llama.cpp server wire schemas: ``POST /infill``, as llama.vim and llama.vscode send it,
and how it maps onto a service request."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StrictStr

from codefill.api.extra import ExtraChunk, snippets
from codefill.api.wire import Int, WireModel
from codefill.service.requests import (
    Client,
    CompletionRequest,
    Dialect,
    SamplingFields,
)

__all__ = ["ExtraChunk", "InfillBody"]

_INT32 = 2**31 - 1


class InfillBody(WireModel):
    """``POST /infill``: prefix and suffix as fields, ``prompt`` typed after the cursor.

    The llama.cpp knobs codefill has no use for (``id_slot``, ``cache_prompt``,
    ``samplers``, ``n_indent``, ``t_max_prompt_ms``, ...) are accepted and ignored: the
    scheduler picks slots and reuses the KV cache by itself, and post-processing does
    what ``n_indent`` does. ``postprocess``, ``token_healing`` and ``memory`` are codefill's
    own fields.
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
    token_healing: StrictBool | None = None
    memory: StrictBool | None = None

    @property
    def warm_up(self) -> bool:
        """``n_predict: 0`` only fills the cache (llama.vim sends it in the background)."""
        return self.n_predict == 0

    def to_request(self, client: Client) -> CompletionRequest:
        """The text typed after the cursor (``prompt``) continues the prefix."""
        wanted = 1 if self.warm_up else self.n_predict if self.n_predict else None
        return CompletionRequest(
            model=self.model,
            dialect=Dialect.LLAMACPP,
            sampling=SamplingFields(
                max_tokens=wanted if wanted is None or wanted > 0 else None,
                temperature=self.temperature,
                top_k=self.top_k,
                top_p=self.top_p,
                min_p=self.min_p,
                repeat_penalty=self.repeat_penalty,
                presence_penalty=self.presence_penalty,
                frequency_penalty=self.frequency_penalty,
                seed=self.seed,
                stop=tuple(self.stop),
                time_budget_ms=self.t_max_predict_ms,
            ),
            prefix=self.input_prefix + self.prompt,
            suffix=self.input_suffix,
            extra=snippets(self.input_extra),
            memory=self.memory,
            postprocess=self.postprocess,
            token_healing=self.token_healing,
            client=client,
        )
