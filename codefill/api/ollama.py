"""The Ollama dialect's generation routes: ``/api/generate`` and ``/api/chat``.

Both stream NDJSON unless ``stream`` is false. Requests whose User-Agent names one of
Ollama's official client libraries, or every request when the server runs with
``ollama_format = "native"``, get Ollama's native metrics (see ``ollama_encoder``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from codefill.api.extra import snippets
from codefill.api.ollama_encoder import OllamaEncoder
from codefill.api.ollama_schemas import ChatRequest, GenerateRequest, KeepAlive, Options
from codefill.api.streaming import WatchedStreamingResponse, until_disconnect
from codefill.api.wire import body_schema, dumps, read_model
from codefill.durations import parse_duration
from codefill.engine.base import SamplingParams
from codefill.errors import BadRequest
from codefill.prompt.chat import ChatMessage
from codefill.service import requests as service
from codefill.service.completion import CompletionService, Run
from codefill.settings import Settings

__all__ = ["client_of", "json_line", "router"]

router = APIRouter()

NDJSON = "application/x-ndjson"
_OFFICIAL_CLIENTS = ("ollama-python/", "ollama-js/")


@router.post("/api/generate", openapi_extra=body_schema(GenerateRequest))
async def generate(request: Request) -> Response:
    body = await read_model(request, GenerateRequest)
    completions: CompletionService = request.app.state.service
    settings: Settings = request.app.state.settings
    encoder = OllamaEncoder(body.model, native=_wants_native(request, settings))
    keep_alive = _keep_alive(body.keep_alive)
    if body.prompt == "" and not body.suffix:
        return await _load_or_unload(request, encoder, body.model, keep_alive)
    options = body.options or Options()
    sampling = sampling_from_options(options, settings.default_max_tokens)
    if body.t_max_predict_ms is not None:
        sampling = dataclasses.replace(sampling, time_budget=body.t_max_predict_ms / 1000)
    run = await completions.complete(
        service.CompletionRequest(
            model=body.model,
            prompt=body.prompt,
            sampling=sampling,
            suffix=body.suffix,
            raw=body.raw,
            system=body.system,
            template=body.template,
            keep_alive=keep_alive,
            num_ctx=options.num_ctx,
            postprocess=body.postprocess,
            client=client_of(request),
            extra=snippets(body.input_extra),
            memory=body.memory,
        )
    )
    return await _answer(request, encoder, run, body.stream)


@router.post("/api/chat", openapi_extra=body_schema(ChatRequest))
async def chat(request: Request) -> Response:
    body = await read_model(request, ChatRequest)
    completions: CompletionService = request.app.state.service
    settings: Settings = request.app.state.settings
    encoder = OllamaEncoder(body.model, native=_wants_native(request, settings), chat=True)
    keep_alive = _keep_alive(body.keep_alive)
    if not body.messages:
        return await _load_or_unload(request, encoder, body.model, keep_alive)
    options = body.options or Options()
    run = await completions.chat(
        service.ChatRequest(
            model=body.model,
            messages=tuple(ChatMessage(m.role, m.content) for m in body.messages),
            sampling=sampling_from_options(options, 0),
            keep_alive=keep_alive,
            num_ctx=options.num_ctx,
            client=client_of(request),
        )
    )
    return await _answer(request, encoder, run, body.stream)


async def _answer(
    request: Request, encoder: OllamaEncoder, run: Run, stream: bool | None
) -> Response:
    request.state.run = run  # for the access log and the metrics
    if stream is False:
        text, final = await until_disconnect(request, run.collect())
        return json_line(encoder.final(run, final, text))
    return WatchedStreamingResponse(encoder.stream(run), media_type=NDJSON)


async def _load_or_unload(
    request: Request, encoder: OllamaEncoder, model: str, keep_alive: float | None
) -> Response:
    """An empty prompt only loads the model; with ``keep_alive: 0`` it unloads it."""
    manager = request.app.state.manager
    if keep_alive == 0:
        manager.unload(model)
        return json_line(encoder.status("unload"))
    await manager.get(model, keep_alive)
    return json_line(encoder.status("load"))


def sampling_from_options(options: Options, default_max_tokens: int) -> SamplingParams:
    """Ollama's defaults, overridden by the request's ``options``."""
    stop = [options.stop] if isinstance(options.stop, str) else options.stop or []
    max_tokens = default_max_tokens if options.num_predict is None else options.num_predict
    seed = options.seed if options.seed is not None and options.seed >= 0 else None
    return SamplingParams(
        max_tokens=max_tokens,
        temperature=_pick(options.temperature, 0.8),
        top_p=_pick(options.top_p, 0.9),
        top_k=_pick(options.top_k, 40),
        min_p=_pick(options.min_p, 0.0),
        repeat_penalty=_pick(options.repeat_penalty, 1.0),
        repeat_last_n=_pick(options.repeat_last_n, 64),
        presence_penalty=_pick(options.presence_penalty, 0.0),
        frequency_penalty=_pick(options.frequency_penalty, 0.0),
        seed=seed,
        stop=tuple(stop),
    )


def client_of(request: Request) -> service.Client:
    """Who is asking, for supersession and replica affinity."""
    address = request.client.host if request.client else ""
    return service.Client(
        address=address,
        user_agent=request.headers.get("user-agent", ""),
        session=request.headers.get("x-codefill-session") or None,
    )


def json_line(body: dict[str, Any]) -> Response:
    return Response(dumps(body) + "\n", media_type="application/json")


def _keep_alive(value: KeepAlive) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as error:
        raise BadRequest(str(error), param="keep_alive") from None


def _pick(value: Any, default: Any) -> Any:
    return default if value is None else value


def _wants_native(request: Request, settings: Settings) -> bool:
    agent = request.headers.get("user-agent", "")
    return settings.ollama_format == "native" or agent.startswith(_OFFICIAL_CLIENTS)
