"""The Ollama dialect's generation routes: ``/api/generate`` and ``/api/chat``.

Which format an answer takes (see ``encoder``): Ollama's native one for the
official client libraries (their User-Agent) and for everyone when the server runs with
``ollama_format = "native"``; the seed's otherwise. Whether it streams: as the request's
``stream`` says; when absent, ``/api/chat`` and the native format stream (as Ollama does),
and the seed format answers ``/api/generate`` with one object (as the seed shows).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from codefill.api.ollama.encoder import OllamaEncoder
from codefill.api.ollama.schemas import ChatBody, GenerateBody, keep_alive_seconds
from codefill.api.streaming import answer
from codefill.api.wire import body_schema, client_of, read_model
from codefill.service.registry import DEFAULT_MODEL
from codefill.service.serving import Serving
from codefill.settings import Settings

__all__ = ["router"]

router = APIRouter()

_OFFICIAL_CLIENTS = ("ollama-python/", "ollama-js/")


@router.post("/api/generate", openapi_extra=body_schema(GenerateBody))
async def generate(request: Request) -> Response:
    body = await read_model(request, GenerateBody)
    native = _wants_native(request)
    encoder = OllamaEncoder(body.model or DEFAULT_MODEL, native, context=not body.raw)
    if body.loads_only:
        return await _load_or_unload(request, encoder, body.model, body.keep_alive)
    serving: Serving = request.app.state.serving
    completion = await serving.start(body.to_request(client_of(request)))
    stream = body.stream if body.stream is not None else native
    return await answer(request, completion, encoder, stream=stream)


@router.post("/api/chat", openapi_extra=body_schema(ChatBody))
async def chat(request: Request) -> Response:
    body = await read_model(request, ChatBody)
    encoder = OllamaEncoder(body.model or DEFAULT_MODEL, _wants_native(request), chat=True)
    if not body.messages:
        return await _load_or_unload(request, encoder, body.model, body.keep_alive)
    serving: Serving = request.app.state.serving
    completion = await serving.start(body.to_request(client_of(request)))
    return await answer(request, completion, encoder, stream=body.stream is not False)


async def _load_or_unload(
    request: Request, encoder: OllamaEncoder, model: str, keep_alive: float | str | None
) -> Response:
    """An empty prompt only loads the model; with ``keep_alive: 0`` it unloads it."""
    manager = request.app.state.manager
    seconds = keep_alive_seconds(keep_alive)
    if seconds == 0:
        manager.unload(model)
        return Response(encoder.status("unload"), media_type="application/json")
    await manager.get(model, seconds)
    return Response(encoder.status("load"), media_type="application/json")


def _wants_native(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    agent = request.headers.get("user-agent", "")
    return settings.ollama_format == "native" or agent.startswith(_OFFICIAL_CLIENTS)
