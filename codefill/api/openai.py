"""The OpenAI dialect: chat and text completions, and the model list.

Every route is served with and without ``/v1``, because openai-python joins paths to
``base_url`` as given: ``http://host:8080`` gives ``/chat/completions``, ``.../v1`` the
``/v1`` form. A request without ``stream`` gets one JSON object, as OpenAI does.
"""

from __future__ import annotations

import dataclasses
import time

from fastapi import APIRouter, Request
from starlette.responses import Response

from codefill.api.extra import snippets
from codefill.api.ollama import client_of
from codefill.api.openai_encoder import OpenAIEncoder
from codefill.api.openai_schemas import ChatCompletionRequest, CompletionRequest, Sampling
from codefill.api.streaming import WatchedStreamingResponse, until_disconnect
from codefill.api.wire import body_schema, dumps, read_model
from codefill.engine.base import SamplingParams
from codefill.prompt.chat import ChatMessage
from codefill.service import requests as service
from codefill.service.catalog import list_models
from codefill.service.completion import CompletionService, Run

__all__ = ["router"]

router = APIRouter()

SSE = "text/event-stream"
_COMPLETION_MAX_TOKENS = 16  # OpenAI's documented default for the legacy route
_CHAT_BODY = body_schema(ChatCompletionRequest)
_COMPLETION_BODY = body_schema(CompletionRequest)


@router.post("/chat/completions", openapi_extra=_CHAT_BODY)
@router.post("/v1/chat/completions", openapi_extra=_CHAT_BODY)
async def chat_completions(request: Request) -> Response:
    body = await read_model(request, ChatCompletionRequest)
    completions: CompletionService = request.app.state.service
    messages = tuple(ChatMessage(m.role, m.text()) for m in body.messages)
    max_tokens = body.max_completion_tokens or body.max_tokens or 0
    run = await completions.chat(
        service.ChatRequest(
            body.model, messages, _sampling(body, max_tokens), client=client_of(request)
        )
    )
    return await _answer(request, OpenAIEncoder(body.model, run, chat=True), run, body)


@router.post("/completions", openapi_extra=_COMPLETION_BODY)
@router.post("/v1/completions", openapi_extra=_COMPLETION_BODY)
async def completions(request: Request) -> Response:
    body = await read_model(request, CompletionRequest)
    service_: CompletionService = request.app.state.service
    sampling = _sampling(body, body.max_tokens or _COMPLETION_MAX_TOKENS)
    if body.t_max_predict_ms is not None:
        sampling = dataclasses.replace(sampling, time_budget=body.t_max_predict_ms / 1000)
    run = await service_.complete(
        service.CompletionRequest(
            model=body.model,
            prompt=body.prompt_text(),
            sampling=sampling,
            suffix=body.suffix,
            postprocess=body.postprocess,
            client=client_of(request),
            extra=snippets(body.input_extra),
            memory=body.memory,
        )
    )
    return await _answer(request, OpenAIEncoder(body.model, run, chat=False), run, body)


@router.get("/models")
@router.get("/v1/models")
async def models(request: Request) -> Response:
    created = int(time.time())
    data = [
        {
            "id": entry.name,
            "object": "model",
            "created": int(entry.modified.timestamp()) or created,
            "owned_by": "codefill",
        }
        for entry in list_models(request.app.state.manager)
    ]
    return Response(dumps({"object": "list", "data": data}), media_type="application/json")


async def _answer(request: Request, encoder: OpenAIEncoder, run: Run, body: Sampling) -> Response:
    request.state.run = run  # for the access log and the metrics
    if not body.stream:
        text, final = await until_disconnect(request, run.collect())
        return Response(dumps(encoder.whole(text, final)), media_type="application/json")
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    return WatchedStreamingResponse(encoder.stream(include_usage), media_type=SSE)


def _sampling(body: Sampling, max_tokens: int) -> SamplingParams:
    """OpenAI's defaults (temperature 1, top_p 1) unless the request says otherwise."""
    return SamplingParams(
        max_tokens=max_tokens,
        temperature=1.0 if body.temperature is None else body.temperature,
        top_p=1.0 if body.top_p is None else body.top_p,
        top_k=body.top_k or 0,
        min_p=body.min_p or 0.0,
        repeat_penalty=body.repeat_penalty or 1.0,
        presence_penalty=body.presence_penalty or 0.0,
        frequency_penalty=body.frequency_penalty or 0.0,
        seed=body.seed,
        stop=body.stops(),
    )
