"""Liveness for load balancers and editors: 503 until the default model first loads."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from codefill.engine.base import Engine
from codefill.service.registry import DEFAULT_MODEL

__all__ = ["engine_state", "router"]

router = APIRouter()


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    """``status`` plus, per loaded model, its queue length, busy slots and state (``ready``,
    or ``restarting`` while a new worker replaces one that died)."""
    manager = request.app.state.manager
    models = {model.name: engine_state(model.engine) for model in manager.loaded()}
    if manager.ever_loaded(DEFAULT_MODEL):
        return JSONResponse({"status": "ok", "models": models})
    return JSONResponse({"status": "loading model", "models": models}, status_code=503)


def engine_state(engine: Engine) -> dict[str, object]:
    """A loaded model's load and state, as ``/health`` and ``/api/ps`` show them."""
    health = engine.health()
    return {
        **engine.stats(),
        "state": health.state,
        "pid": health.pid,
        "restarts": sum(health.restarts.values()),
        "crashes": sum(health.crashes.values()),
    }
