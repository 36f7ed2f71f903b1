"""The llama.cpp server dialect: ``POST /infill``, for llama.vim and llama.vscode."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from codefill.api.llamacpp.encoder import LlamaCppEncoder
from codefill.api.llamacpp.schemas import InfillBody
from codefill.api.streaming import answer
from codefill.api.wire import body_schema, client_of, read_model
from codefill.service.serving import Serving

__all__ = ["router"]

router = APIRouter()


@router.post("/infill", openapi_extra=body_schema(InfillBody))
async def infill(request: Request) -> Response:
    body = await read_model(request, InfillBody)
    serving: Serving = request.app.state.serving
    completion = await serving.start(body.to_request(client_of(request)))
    encoder = LlamaCppEncoder(body.response_fields, warm_up=body.warm_up)
    return await answer(request, completion, encoder, stream=body.stream and not body.warm_up)
