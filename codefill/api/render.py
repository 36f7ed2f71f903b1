"""``POST /api/render``: the text a model is given for a completion body, as ``codefill render``.

It takes the body of ``/api/generate`` as it is (``model``, ``prompt``, ``suffix``, ``raw``,
``system``, ``template``, ``options.num_predict`` and ``options.num_ctx`` decide the prompt;
the rest is ignored), so a client can send one body to both routes and see the prompt
behind an answer. Errors are Ollama-shaped, like every ``/api/`` route.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from codefill.api.ollama import json_line, sampling_from_options
from codefill.api.ollama_schemas import GenerateRequest, Options
from codefill.api.wire import body_schema, read_model
from codefill.prompt.templates import parts_text
from codefill.service.completion import CompletionService
from codefill.service.requests import CompletionRequest
from codefill.settings import Settings

__all__ = ["router"]

router = APIRouter()


@router.post("/api/render", openapi_extra=body_schema(GenerateRequest))
async def render(request: Request) -> Response:
    """``{"model", "prompt", "prompt_tokens", "truncated_tokens"}``: the rendered prompt."""
    body = await read_model(request, GenerateRequest)
    completions: CompletionService = request.app.state.service
    settings: Settings = request.app.state.settings
    options = body.options or Options()
    _, built = await completions.render(
        CompletionRequest(
            model=body.model,
            prompt=body.prompt,
            sampling=sampling_from_options(options, settings.default_max_tokens),
            suffix=body.suffix,
            raw=body.raw,
            system=body.system,
            template=body.template,
            num_ctx=options.num_ctx,
        )
    )
    return json_line(
        {
            "model": body.model,
            "prompt": parts_text(built.parts),
            "prompt_tokens": len(built.tokens),
            "truncated_tokens": built.truncated_tokens,
        }
    )
