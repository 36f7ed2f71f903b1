"""Build the ASGI app: routers, middleware, error handlers, and the lifespan of the models."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from codefill import __version__
from codefill.api import (
    completions,
    events,
    health,
    llamacpp,
    observability,
    ollama,
    openai,
    render,
    tabby,
    ui,
)
from codefill.api.errors import error_response
from codefill.api.security import ApiKeys, BodyLimit
from codefill.api.streaming import ClientGone
from codefill.errors import BadRequest, CodefillError, MethodNotAllowed, NotFound
from codefill.metrics import Metrics
from codefill.service.models import ModelManager, local_inspector
from codefill.service.registry import DEFAULT_MODEL
from codefill.service.serving import Serving
from codefill.service.telemetry import Telemetry
from codefill.settings import Settings

__all__ = ["build_app"]

log = logging.getLogger("codefill.api")


class _UppercaseMethod:
    """``curl -X post`` sends the method in lower case; routes match upper case."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["method"].isupper():
            scope = dict(scope, method=scope["method"].upper())
        await self.app(scope, receive, send)


def build_app(settings: Settings, manager: ModelManager | None = None) -> FastAPI:
    """The codefill app; ``manager`` lets tests serve a fake engine."""
    manager = manager or ModelManager(settings, inspector=local_inspector)
    metrics = Metrics(lambda: _snapshot(manager, serving))
    serving = Serving(manager, Telemetry(settings, metrics.acceptance))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _warn_if_exposed(settings)
        preload = asyncio.get_running_loop().create_task(_preload(manager))
        try:
            yield
        finally:
            preload.cancel()
            await manager.close()
            serving.telemetry.close()

    app = FastAPI(title="codefill", version=__version__, lifespan=lifespan, docs_url=None)
    app.state.settings = settings
    app.state.manager = manager
    app.state.serving = serving
    app.state.metrics = metrics
    dialects = (
        ollama,
        openai,
        completions,
        llamacpp,
        tabby,
        events,
        render,
    )
    for module in (health, observability, *dialects, ui):
        app.include_router(module.router)
    _add_error_handlers(app)
    # added innermost first: the last one added sees each request first
    app.add_middleware(_UppercaseMethod)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(ApiKeys, keys=settings.api_keys)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(observability.Observability, metrics=metrics, access_log=settings.access_log)
    return app


def _snapshot(manager: ModelManager, serving: Serving) -> dict[str, object]:
    engines = {model.name: model.engine.stats() for model in manager.loaded()}
    health = {model.name: model.engine.health() for model in manager.loaded()}
    return {"engines": engines, "health": health, "superseded": serving.live.superseded}


async def _preload(manager: ModelManager) -> None:
    try:
        await manager.get(DEFAULT_MODEL)
    except CodefillError as error:
        log.error("the default model failed to load: %s", error.message)


def _warn_if_exposed(settings: Settings) -> None:
    try:
        loopback = ipaddress.ip_address(settings.host).is_loopback
    except ValueError:
        loopback = settings.host == "localhost"
    if not loopback and not settings.api_keys:
        log.warning(
            "listening on %s without API keys: anyone who can reach this address can use the "
            "models; set api_keys (or --api-key) to require a key",
            settings.host,
        )


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CodefillError)
    async def codefill_error(request: Request, error: CodefillError) -> Response:
        return error_response(request, error)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        return error_response(request, BadRequest(f"invalid request: {error.errors()[0]['msg']}"))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        route = f"{request.method} {request.url.path}"
        failure: CodefillError
        if error.status_code == 404:
            failure = NotFound(f"no route {route}")
        elif error.status_code == 405:
            failure = MethodNotAllowed(f"method not allowed: {route}")
        else:
            failure = BadRequest(str(error.detail))
        return error_response(request, failure)

    @app.exception_handler(ClientGone)
    async def client_gone(request: Request, error: ClientGone) -> Response:
        return Response(status_code=499)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(request, CodefillError("internal error"))
