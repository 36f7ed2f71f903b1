"""codefill's own telemetry route, ``POST /api/events``, for any editor plugin or page.

The body is exactly ``{"completion_id": "<id>", "event": "view" | "accept" | "dismiss",
"kind": "whole" | "line" | "word"}``; ``kind`` says how much an accept took (default
"whole") and is ignored on the other events. The id is the one every completion answer
carries (``X-Codefill-Completion-Id``; OpenAI's and Tabby's ``id``). Errors are
Ollama-shaped, as on every ``/api/`` route: 400 for a malformed event, 404 for an unknown
or expired id, 413 for a body over 16 KiB; each refusal counts in
``codefill_telemetry_events_refused_total``.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import ConfigDict, StrictStr
from starlette.responses import Response

from codefill.acceptance import MAX_EVENT_BYTES
from codefill.api.wire import WireModel, body_schema, dumps, read_model
from codefill.service.serving import Serving
from codefill.service.telemetry import AcceptKind, Event

__all__ = ["EventBody", "router"]

router = APIRouter()


class EventBody(WireModel):
    """The event; unknown fields are refused, so a typo is a 400 rather than a lost count."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    completion_id: StrictStr
    event: Literal["view", "accept", "dismiss"]
    kind: Literal["whole", "line", "word"] = "whole"


@router.post("/api/events", openapi_extra=body_schema(EventBody))
async def events(request: Request) -> Response:
    """Count the event; answers the completion's labels (model, language, dialect)."""
    body = await read_model(request, EventBody, MAX_EVENT_BYTES)
    event = Event(body.event)
    kind = AcceptKind(body.kind) if event is Event.ACCEPT else None
    serving: Serving = request.app.state.serving
    labels = serving.telemetry.record(body.completion_id, event, kind)
    answer = {
        "completion_id": body.completion_id,
        "event": event.value,
        "kind": kind.value if kind else None,
        "model": labels.model,
        "language": labels.language,
        "dialect": labels.dialect,
    }
    return Response(dumps(answer), media_type="application/json")
