"""The OpenAI dialect: chat and text completions, and the model list.

``POST /v1/completions`` is shared with Tabby's completions; ``api/completions.py`` owns
that route and hands an OpenAI body to :func:`completions` here.

Every route is served with and without ``/v1``, because openai-python joins paths to
``base_url`` as given: ``http://host:8080`` gives ``/chat/completions``, ``.../v1`` the
``/v1`` form. A request without ``stream`` gets one JSON object, as OpenAI does.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from codefill.api.openai.encoder import OpenAIEncoder
from codefill.api.openai.schemas import ChatCompletionBody, CompletionBody
from codefill.api.streaming import answer
from codefill.api.wire import body_schema, client_of, dumps, read_model
from codefill.service.catalog import ModelListing, list_models
from codefill.service.registry import DEFAULT_MODEL
from codefill.service.serving import Serving

__all__ = ["completions", "router"]

router = APIRouter()

_CHAT_BODY = body_schema(ChatCompletionBody)


@router.post("/chat/completions", openapi_extra=_CHAT_BODY)
@router.post("/v1/chat/completions", openapi_extra=_CHAT_BODY)
async def chat_completions(request: Request) -> Response:
    return await _answer(request, await read_model(request, ChatCompletionBody))


async def completions(request: Request, body: CompletionBody) -> Response:
    return await _answer(request, body)


@router.get("/models")
@router.get("/v1/models")
async def models(request: Request) -> Response:
    data = [_model(entry) for entry in list_models(request.app.state.manager)]
    return Response(dumps({"object": "list", "data": data}), media_type="application/json")


@router.get("/models/{name:path}")
@router.get("/v1/models/{name:path}")
async def model(request: Request, name: str) -> Response:
    """One model, by its name or an alias (``models.retrieve`` in the openai clients)."""
    config = request.app.state.manager.registry.resolve(name)
    entry = next(e for e in list_models(request.app.state.manager) if e.name == config.name)
    return Response(dumps({**_model(entry), "id": name}), media_type="application/json")


async def _answer(request: Request, body: ChatCompletionBody | CompletionBody) -> Response:
    serving: Serving = request.app.state.serving
    completion = await serving.start(body.to_request(client_of(request)))
    chat = isinstance(body, ChatCompletionBody)
    model = body.model or DEFAULT_MODEL
    encoder = OpenAIEncoder(model, completion, chat=chat, include_usage=body.include_usage)
    return await answer(request, completion, encoder, stream=body.stream)


def _model(entry: ModelListing) -> dict[str, Any]:
    return {
        "id": entry.name,
        "object": "model",
        "created": int(entry.modified.timestamp()) or int(time.time()),
        "owned_by": "codefill",
    }
