"""The llama.cpp server dialect: ``POST /infill`` for llama.vim and llama.vscode.

The answer is llama.cpp's: ``content``, ``stop``, ``stop_type``, token counts and a
``timings`` object in llama.cpp's names, as one compact JSON object (llama.vim finds
``"content":"`` by pattern, so no space after a colon) or, with ``stream``, SSE events
ending in one with ``stop: true``. ``response_fields`` keeps only the fields named (the
stream's events keep ``content`` and ``stop`` too); a path such as ``timings/prompt_n``
becomes a top-level key of that name, as llama.cpp does.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from codefill.api.errors import openai_error_body
from codefill.api.extra import snippets
from codefill.api.llamacpp_schemas import InfillRequest
from codefill.api.ollama import client_of
from codefill.api.streaming import WatchedStreamingResponse, until_disconnect
from codefill.api.timings import timings
from codefill.api.wire import body_schema, dumps, read_model
from codefill.engine.base import Delta, FinishReason, SamplingParams
from codefill.errors import CodefillError
from codefill.prompt.languages import language_for_path
from codefill.prompt.meta import CodeContext
from codefill.service import requests as service
from codefill.service.completion import CompletionService, Run
from codefill.settings import Settings

__all__ = ["router"]

router = APIRouter()

_STOP_TYPE = {FinishReason.STOP: "eos", FinishReason.LENGTH: "limit"}


@router.post("/infill", openapi_extra=body_schema(InfillRequest))
async def infill(request: Request) -> Response:
    body = await read_model(request, InfillRequest)
    completions: CompletionService = request.app.state.service
    settings: Settings = request.app.state.settings
    run = await completions.complete(
        service.CompletionRequest(
            model=body.model,
            prompt="",
            code=_code(body),
            sampling=_sampling(body, 1 if body.warm_up else settings.default_max_tokens),
            postprocess=body.postprocess,
            client=client_of(request),
            extra=snippets(body.input_extra),
            memory=body.memory,
        )
    )
    request.state.run = run  # for the access log and the metrics
    if body.stream and not body.warm_up:
        return WatchedStreamingResponse(_events(run, body), media_type="text/event-stream")
    text, final = await until_disconnect(request, run.collect())
    answer = _final(run, body, "" if body.warm_up else text, final)
    return Response(dumps(answer), media_type="application/json")


def _code(body: InfillRequest) -> CodeContext:
    """The text typed after the cursor (``prompt``) continues the prefix. The request names
    no file, so the language is guessed from the other files' names; ``input_extra`` itself
    goes to the service, which renders it in the model's repository layout."""
    names = [c.filename for c in body.input_extra if c.filename]
    return CodeContext(
        language=language_for_path(names[-1]) if names else "",
        prefix=body.input_prefix + body.prompt,
        suffix=body.input_suffix,
    )


def _sampling(body: InfillRequest, default_max_tokens: int) -> SamplingParams:
    """llama.cpp's defaults: temperature 0.8, top_k 40, top_p 0.95, min_p 0.05."""
    wanted = body.n_predict if body.n_predict and body.n_predict > 0 else default_max_tokens
    budget = body.t_max_predict_ms
    return SamplingParams(
        max_tokens=wanted,
        temperature=0.8 if body.temperature is None else body.temperature,
        top_k=40 if body.top_k is None else body.top_k,
        top_p=0.95 if body.top_p is None else body.top_p,
        min_p=0.05 if body.min_p is None else body.min_p,
        repeat_penalty=body.repeat_penalty or 1.0,
        presence_penalty=body.presence_penalty or 0.0,
        frequency_penalty=body.frequency_penalty or 0.0,
        seed=body.seed,
        stop=tuple(body.stop),
        time_budget=budget / 1000 if budget is not None and budget > 0 else None,
    )


def _final(run: Run, body: InfillRequest, text: str, final: Delta) -> dict[str, Any]:
    ours = timings(run, final.usage)
    predicted = 0 if body.warm_up else ours["completion_tokens"]
    prompt_ms, predicted_ms = ours["prompt_ms"], ours["generation_ms"]
    answer: dict[str, Any] = {
        "content": text,
        "stop": True,
        "stop_type": _STOP_TYPE.get(final.finish or FinishReason.STOP, "eos"),
        "model": run.model,
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
        },
    }
    return _select(answer, body.response_fields)


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


async def _events(run: Run, body: InfillRequest) -> AsyncIterator[str]:
    async with contextlib.aclosing(run.stream) as deltas:
        try:
            async for delta in deltas:
                if delta.text:
                    yield f"data: {dumps({'content': delta.text, 'stop': False})}\n\n"
                if delta.finish is not None:
                    last = {"content": "", **_final(run, body, "", delta), "stop": True}
                    yield f"data: {dumps(last)}\n\n"
                    break
        except CodefillError as error:
            yield f"data: {dumps(openai_error_body(error))}\n\n"
