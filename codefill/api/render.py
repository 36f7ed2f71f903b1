"""``POST /api/render``: the text a model is given for a completion body, as ``codefill render``.

It takes the body of ``/api/generate`` as it is (``model``, ``prompt``, ``suffix``, ``raw``,
``system``, ``template``, ``options.num_predict`` and ``options.num_ctx`` decide the prompt;
the rest is ignored), so a client can send one body to both routes and see the prompt
behind an answer. Errors are Ollama-shaped, like every ``/api/`` route.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from codefill.api.ollama.schemas import GenerateBody
from codefill.api.wire import body_schema, client_of, dumps, read_model
from codefill.prompt.templates import parts_text
from codefill.service.registry import DEFAULT_MODEL
from codefill.service.serving import Serving

__all__ = ["router"]

router = APIRouter()


@router.post("/api/render", openapi_extra=body_schema(GenerateBody))
async def render(request: Request) -> Response:
    """``{"model", "prompt", "prompt_tokens", "truncated_tokens"}``: the rendered prompt."""
    body = await read_model(request, GenerateBody)
    serving: Serving = request.app.state.serving
    _, built = await serving.render(body.to_request(client_of(request)))
    answer = {
        "model": body.model or DEFAULT_MODEL,
        "prompt": parts_text(built.parts),
        "prompt_tokens": len(built.tokens),
        "truncated_tokens": built.truncated_tokens,
    }
    return Response(dumps(answer) + "\n", media_type="application/json")
