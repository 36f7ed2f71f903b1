"""Ollama's ``POST /api/pull`` and ``DELETE /api/delete`` over codefill's models folder.

A pull asks the hub which file it means before it answers, so an unknown repository or
quant, or a disk too small, is a 4xx/5xx status with ``{"error": ...}``; once the
download starts, progress goes out as Ollama's NDJSON objects and a failure as an
``{"error": ...}`` line. The download runs in a thread; a client that leaves stops it at
the next chunk, leaving the partial file for the next pull to resume.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from pydantic import StrictBool
from starlette.responses import Response

from codefill.api.ollama.schemas import ShowBody
from codefill.api.streaming import WatchedStreamingResponse, until_disconnect
from codefill.api.wire import body_schema, dumps, read_model
from codefill.errors import CodefillError
from codefill.service.models import ModelManager
from codefill.service.pull_names import PullCancelled, PullProgress
from codefill.service.pulled import delete_pulled

if TYPE_CHECKING:  # huggingface_hub is imported by the first pull, not at start-up
    from codefill.service.pull import PullPlan

__all__ = ["router"]

router = APIRouter()

_BODY_LIMIT = 64 * 1024


class PullBody(ShowBody):
    """Ollama's pull body: ``model`` (older clients: ``name``), ``insecure``, ``stream``."""

    insecure: StrictBool = False  # for Ollama registries over plain HTTP; nothing here
    stream: StrictBool = True


class DeleteBody(ShowBody):
    """``DELETE /api/delete`` names the model as ``/api/show`` does."""


# Not in the OpenAPI document, which schema-driven fuzzers read: a fuzzed name would start a
# real download, and a hub that cannot be reached is rightly a 502.
@router.post("/api/pull", include_in_schema=False)
async def pull(request: Request) -> Response:
    from codefill.service.pull import plan_pull

    body = await read_model(request, PullBody, _BODY_LIMIT)
    settings = request.app.state.settings
    models_dir = Path(settings.models_path)
    plan = await asyncio.to_thread(plan_pull, body.target, models_dir, settings.hub_endpoint)
    events = _events(request.app.state.manager, plan)
    if body.stream:
        return WatchedStreamingResponse(_lines(events), media_type="application/x-ndjson")

    async def finish() -> None:
        async for _ in events:
            pass

    await until_disconnect(request, finish())
    return Response(dumps({"status": "success"}) + "\n", media_type="application/json")


@router.delete("/api/delete", openapi_extra=body_schema(DeleteBody))
async def delete(request: Request) -> Response:
    body = await read_model(request, DeleteBody, _BODY_LIMIT)
    manager: ModelManager = request.app.state.manager
    config = await manager.remove_model(body.target)
    models_dir = Path(manager.settings.models_path)
    await asyncio.to_thread(delete_pulled, models_dir, config.name)
    return Response(status_code=200)


async def _lines(events: AsyncIterator[PullProgress]) -> AsyncIterator[str]:
    yield dumps({"status": "pulling manifest"}) + "\n"
    try:
        async for event in events:
            yield dumps(_progress(event)) + "\n"
    except Exception as error:  # the status line has gone: the error is the last line
        message = error.message if isinstance(error, CodefillError) else f"pull failed: {error}"
        yield dumps({"error": message}) + "\n"
        return
    yield dumps({"status": "success"}) + "\n"


def _progress(event: PullProgress) -> dict[str, Any]:
    if not event.digest and not event.total:
        return {"status": event.status}
    return {
        "status": event.status,
        "digest": event.digest,
        "total": event.total,
        "completed": event.completed,
    }


async def _events(manager: ModelManager, plan: PullPlan) -> AsyncIterator[PullProgress]:
    """The pull's progress, from its thread; it ends with the model served, or raises."""
    from codefill.service.pull import run_pull

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[PullProgress | BaseException | None] = asyncio.Queue()
    stop = threading.Event()

    def put(item: PullProgress | BaseException | None) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, item)

    def work() -> None:
        try:
            config = run_pull(plan, put, stop.is_set)
        except BaseException as error:  # handed to the waiting request
            put(error)
            return
        # registered even if the client has left: the file is in place
        asyncio.run_coroutine_threadsafe(manager.add_model(config), loop).result()
        put(None)

    worker = threading.Thread(target=work, name="codefill-pull", daemon=True)
    worker.start()
    try:
        while (item := await queue.get()) is not None:
            if isinstance(item, PullCancelled):
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
