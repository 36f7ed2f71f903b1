"""From what a request said about sampling to the engine's :class:`SamplingParams`.

Each dialect documents its own defaults (Ollama's temperature is 0.8, OpenAI's 1.0), so a
knob the client left out takes its dialect's default here, in one table. The server then
applies its own limits: a token count above ``max_tokens_limit`` is refused rather than
clamped, the answer never outgrows the context, and generation never runs past
``max_generation_seconds``. A client's own time budget (llama.cpp's ``t_max_predict_ms``,
which every dialect takes) is honoured as llama.cpp's server does: once it has passed, the
completion ends with the next token that holds a newline, never inside a line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from codefill.engine.base import SamplingParams
from codefill.errors import BadRequest
from codefill.service.requests import Dialect, SamplingFields
from codefill.settings import Settings

__all__ = ["DEFAULTS", "DialectDefaults", "sampling_params", "wanted_tokens"]


@dataclass(frozen=True)
class DialectDefaults:
    """A dialect's documented defaults; ``completion_tokens`` None is the server's default."""

    temperature: float
    top_p: float
    top_k: int
    min_p: float
    completion_tokens: int | None
    chat_tokens: int = 0  # as many as fit, unless the client says otherwise


DEFAULTS: dict[Dialect, DialectDefaults] = {
    # ollama/ollama api/types.go DefaultOptions()
    Dialect.OLLAMA: DialectDefaults(0.8, 0.9, 40, 0.0, completion_tokens=None),
    # OpenAI's API reference: temperature 1, top_p 1, max_tokens 16 on /v1/completions
    Dialect.OPENAI: DialectDefaults(1.0, 1.0, 0, 0.0, completion_tokens=16),
    # llama.cpp tools/server/README.md
    Dialect.LLAMACPP: DialectDefaults(0.8, 0.95, 40, 0.05, completion_tokens=None),
    # Tabby's tabby-inference code.rs: temperature 0.1, max_decoding_tokens 64; the rest is
    # llama.cpp's, the llama-server that Tabby's local backend runs
    Dialect.TABBY: DialectDefaults(0.1, 0.95, 40, 0.05, completion_tokens=64),
}


def wanted_tokens(fields: SamplingFields, dialect: Dialect, *, chat: bool, default: int) -> int:
    """How many tokens the request asks for; 0 or less means as many as fit."""
    if fields.max_tokens is not None:
        return fields.max_tokens
    defaults = DEFAULTS[dialect]
    if chat:
        return defaults.chat_tokens
    return default if defaults.completion_tokens is None else defaults.completion_tokens


def sampling_params(
    fields: SamplingFields,
    dialect: Dialect,
    *,
    chat: bool,
    settings: Settings,
    room: int,
    stops: tuple[str, ...] = (),
) -> SamplingParams:
    """The engine's parameters; ``room`` is the context left after the prompt and ``stops``
    the model's own stop strings, added to the request's."""
    wanted = wanted_tokens(fields, dialect, chat=chat, default=settings.default_max_tokens)
    limit = settings.max_tokens_limit
    if wanted > limit:
        raise BadRequest(
            f"asked for {wanted} tokens; this server generates at most {limit}",
            param="max_tokens",
        )
    room = min(room, limit)
    defaults = DEFAULTS[dialect]
    line_budget = None
    if fields.time_budget_ms is not None and fields.time_budget_ms > 0:
        line_budget = fields.time_budget_ms / 1000
    seed = fields.seed if fields.seed is not None and fields.seed >= 0 else None
    return SamplingParams(
        max_tokens=max(room if wanted <= 0 else min(wanted, room), 1),
        temperature=_given(fields.temperature, defaults.temperature),
        top_p=_given(fields.top_p, defaults.top_p),
        top_k=_given(fields.top_k, defaults.top_k),
        min_p=_given(fields.min_p, defaults.min_p),
        repeat_penalty=fields.repeat_penalty or 1.0,  # 0 would divide by zero: none
        repeat_last_n=_given(fields.repeat_last_n, 64),
        presence_penalty=_given(fields.presence_penalty, 0.0),
        frequency_penalty=_given(fields.frequency_penalty, 0.0),
        seed=seed,
        stop=tuple(dict.fromkeys((*fields.stop, *stops))),
        time_budget=settings.max_generation_seconds,
        line_budget=line_budget,
    )


T = TypeVar("T", int, float)


def _given(value: T | None, default: T) -> T:
    return default if value is None else value
