"""``POST /v1/completions`` (and ``/completions``): OpenAI's legacy completions and Tabby's
live at the same path, so this one route reads the body and hands it to the dialect it is in.

The rule: a body with ``segments`` and no ``prompt`` is Tabby's (Tabby's ``CompletionRequest``
has no ``prompt``; OpenAI's requires one); every other body is OpenAI's, with OpenAI's
errors. Either way the answer, the errors and the defaults are that dialect's own.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from codefill.api.openai import routes as openai
from codefill.api.openai.schemas import CompletionBody
from codefill.api.tabby import routes as tabby
from codefill.api.tabby.schemas import TabbyCompletionBody
from codefill.api.wire import body_schema, parse_model, read_json

__all__ = ["is_tabby", "router"]

router = APIRouter()

_BODY = body_schema(CompletionBody, TabbyCompletionBody)


def is_tabby(body: dict[str, Any]) -> bool:
    return "segments" in body and "prompt" not in body


@router.post("/completions", openapi_extra=_BODY)
@router.post("/v1/completions", openapi_extra=_BODY)
async def completions(request: Request) -> Response:
    body = await read_json(request)
    if is_tabby(body):
        return await tabby.completions(request, parse_model(body, TabbyCompletionBody))
    return await openai.completions(request, parse_model(body, CompletionBody))
