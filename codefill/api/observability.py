"""One structured access-log line and the metrics for every request, plus ``/metrics``.

The line says route, model, status, tokens and durations; it never carries prompt text or
headers (so never an API key). Generation routes leave their :class:`Completion` on the
request state; the middleware reads it once the last byte has gone out, so streamed answers
are measured to their end. The line carries the completion's id, so telemetry events about
it can be matched with the request that produced it.
"""

from __future__ import annotations

import json
import logging
import time

from fastapi import APIRouter, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from codefill.acceptance import EVENT_ROUTES
from codefill.metrics import Metrics

__all__ = ["Observability", "router"]

log = logging.getLogger("codefill.access")
router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    registry: Metrics = request.app.state.metrics
    return Response(registry.render(), media_type="text/plain; version=0.0.4")


class Observability:
    def __init__(self, app: ASGIApp, metrics: Metrics, access_log: bool = True) -> None:
        self.app = app
        self._metrics = metrics
        self._access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        completion = scope.get("state", {}).get("completion")
        fields: dict[str, object] = {"route": route, "method": scope["method"], "status": status}
        if scope["path"] in EVENT_ROUTES and 400 <= status < 500:
            self._metrics.acceptance.refusal(scope["path"], status)
        if completion is None:
            self._metrics.observe(route, status, seconds)
        else:
            final = completion.final
            reason = final.finish.value if final and final.finish else "disconnected"
            first = (
                completion.first_token_at - completion.started
                if completion.first_token_at
                else None
            )
            self._metrics.observe(
                route,
                status,
                seconds,
                model=completion.model,
                prompt_tokens=completion.prompt_tokens,
                usage=final.usage if final else None,
                first_token=first,
                reason=reason,
                typeahead=completion.typeahead,
            )
            usage = final.usage if final else None
            fields.update(
                completion_id=completion.id,
                model=completion.model,
                finish=reason,
                prompt_tokens=completion.prompt_tokens,
                cached_tokens=0 if completion.typeahead or usage is None else usage.cached_tokens,
                completion_tokens=usage.completion_tokens if usage else 0,
                typeahead=completion.typeahead,
                ttft_ms=round(first * 1000, 1) if first is not None else None,
            )
        fields["total_ms"] = round(seconds * 1000, 1)
        if self._access_log:
            log.info(json.dumps(fields, separators=(",", ":")))
