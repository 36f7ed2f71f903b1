"""The Tabby dialect, for Tabby's editor extensions through tabby-agent: health, server
settings, completions and their events.

``POST /v1/completions`` is shared with OpenAI's legacy completions; ``api/completions.py``
owns that route and hands a Tabby body to :func:`completions` here.
"""

from __future__ import annotations

import os
import platform

from fastapi import APIRouter, Request
from starlette.responses import Response

from codefill import __version__
from codefill.acceptance import MAX_EVENT_BYTES
from codefill.api.streaming import answer
from codefill.api.tabby.encoder import TabbyEncoder
from codefill.api.tabby.schemas import LogEventBody, TabbyCompletionBody
from codefill.api.wire import body_schema, client_of, dumps, read_model
from codefill.service.registry import DEFAULT_MODEL
from codefill.service.serving import Serving

__all__ = ["TABBY_VERSION", "completions", "router"]

# The Tabby release whose completion API this dialect serves; tabby-agent reads it (as a
# semver) to decide what to ask for, e.g. /v1beta/server_setting from 0.9 on.
TABBY_VERSION = "v0.30.0"

router = APIRouter()


async def completions(request: Request, body: TabbyCompletionBody) -> Response:
    """A Tabby completion: through the same prompt, post-processing and lookups as any."""
    serving: Serving = request.app.state.serving
    completion = await serving.start(body.to_request(client_of(request)))
    return await answer(request, completion, TabbyEncoder(crlf=body.crlf), stream=False)


@router.get("/v1/health")
@router.post("/v1/health")
async def health(request: Request) -> Response:
    """Tabby's ``HealthState``: the agent offers completions when ``model`` is set. No chat
    model is named, so extensions do not offer Tabby's chat features."""
    model = request.app.state.manager.registry.resolve(DEFAULT_MODEL).name
    state = {
        "model": model,
        "chat_model": None,
        "device": "cpu",
        "arch": platform.machine(),
        "cpu_info": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count() or 1,
        "cuda_devices": [],
        "version": {
            "build_date": "",
            "build_timestamp": "",
            "git_sha": "",
            "git_describe": TABBY_VERSION,
        },
        "codefill_version": __version__,
    }
    return Response(dumps(state), media_type="application/json")


@router.get("/v1beta/server_setting")
async def server_setting() -> Response:
    """Turns off the agent's anonymous usage reports to TabbyML, as Tabby's own server does."""
    return Response(dumps({"disable_client_side_telemetry": True}), media_type="application/json")


@router.post("/v1/events", openapi_extra=body_schema(LogEventBody))
async def events(request: Request) -> Response:
    """A view, select (accept) or dismiss of a completion; 200 with no body, as Tabby."""
    body = await read_model(request, LogEventBody, MAX_EVENT_BYTES)
    kind = body.kind(request.query_params.get("select_kind"))
    serving: Serving = request.app.state.serving
    serving.telemetry.record(body.completion_id, body.event, kind)
    return Response(status_code=200)
