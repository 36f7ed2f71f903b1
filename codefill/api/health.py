"""Liveness for load balancers and editors: 503 until the default model first loads."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from codefill.service.registry import DEFAULT_MODEL

__all__ = ["router"]

router = APIRouter()


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    """``status`` plus, per loaded model, its queue length and busy slots."""
    manager = request.app.state.manager
    models = {model.name: model.engine.stats() for model in manager.loaded()}
    if manager.ever_loaded(DEFAULT_MODEL):
        return JSONResponse({"status": "ok", "models": models})
    return JSONResponse({"status": "loading model", "models": models}, status_code=503)
