"""llama.cpp server answers for ``/infill``: one compact JSON object, or SSE events.

The answer is llama.cpp's: ``content``, ``stop``, ``stop_type``, token counts and a
``timings`` object in llama.cpp's names. llama.vim finds ``"content":"`` by pattern, so the
JSON is compact (no space after a colon). ``response_fields`` keeps only the fields named
(stream events keep ``content`` and ``stop`` too); a path such as ``timings/prompt_n``
becomes a top-level key of that name, as llama.cpp does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codefill.api.errors import openai_error_body
from codefill.api.timings import timings
from codefill.api.wire import dumps
from codefill.engine.base import Delta, FinishReason
from codefill.errors import CodefillError
from codefill.service.completion import Completion

__all__ = ["LlamaCppEncoder"]

_STOP_TYPE = {FinishReason.STOP: "eos", FinishReason.LENGTH: "limit"}


def _event(body: dict[str, Any]) -> str:
    return f"data: {dumps(body)}\n\n"


@dataclass(frozen=True)
class LlamaCppEncoder:
    """One ``/infill`` answer; ``warm_up`` (``n_predict: 0``) answers with no text."""

    response_fields: list[str] | None = None
    warm_up: bool = False
    media_type: str = "text/event-stream"

    def opening(self) -> list[str]:
        return []

    def piece(self, text: str) -> str:
        return _event({"content": text, "stop": False})

    def closing(self, completion: Completion, final: Delta) -> list[str]:
        return [_event({"content": "", **self._final(completion, "", final), "stop": True})]

    def error(self, error: CodefillError) -> str:
        return _event(openai_error_body(error))

    def whole(self, completion: Completion, text: str, final: Delta) -> str:
        return dumps(self._final(completion, "" if self.warm_up else text, final))

    def _final(self, completion: Completion, text: str, final: Delta) -> dict[str, Any]:
        ours = timings(completion, final.usage)
        predicted = 0 if self.warm_up else ours["completion_tokens"]
        prompt_ms, predicted_ms = ours["prompt_ms"], ours["generation_ms"]
        answer: dict[str, Any] = {
            "content": text,
            "stop": True,
            "stop_type": _STOP_TYPE.get(final.finish or FinishReason.STOP, "eos"),
            "model": completion.model,
            "tokens_predicted": predicted,
            "tokens_evaluated": ours["prompt_tokens"],
            "tokens_cached": ours["cached_tokens"],
            "truncated": ours["truncated_tokens"] > 0,
            "timings": {
                "prompt_n": ours["evaluated_tokens"],
                "prompt_ms": prompt_ms,
                "prompt_per_token_ms": _per(prompt_ms, ours["evaluated_tokens"]),
                "prompt_per_second": _rate(ours["evaluated_tokens"], prompt_ms),
                "predicted_n": predicted,
                "predicted_ms": predicted_ms,
                "predicted_per_token_ms": _per(predicted_ms, predicted),
                "predicted_per_second": _rate(predicted, predicted_ms),
                "cache_n": ours["cached_tokens"],
                "draft_n": ours["draft_tokens"],
                "draft_n_accepted": ours["accepted_tokens"],
                # codefill's own, beside llama.cpp's names: where the rest of the time went
                "queue_ms": ours["queue_ms"],
                "hold_ms": ours["hold_ms"],
                "decode_ms": ours["decode_ms"],
                "postprocess_ms": ours["postprocess_ms"],
                "first_text_ms": ours["first_text_ms"],
            },
            "postprocess": completion.postprocess_report(),
        }
        return _select(answer, self.response_fields)


def _per(ms: float, count: int) -> float:
    return round(ms / count, 3) if count else 0.0


def _rate(count: int, ms: float) -> float:
    return round(count * 1000 / ms, 2) if ms else 0.0


def _select(answer: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    if fields is None:
        return answer
    chosen: dict[str, Any] = {}
    for name in fields:
        value: Any = answer
        for part in name.split("/"):
            if not isinstance(value, dict) or part not in value:
                break
            value = value[part]
        else:
            chosen[name] = value
    return chosen
