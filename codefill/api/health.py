"""Liveness for load balancers and editors: 503 until the default model is loaded."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

__all__ = ["router"]

router = APIRouter()


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    if request.app.state.manager.is_loaded(request.app.state.default_model):
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "loading model"}, status_code=503)
