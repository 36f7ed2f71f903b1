"""Responses that stop generating as soon as the client goes away.

Starlette's ``StreamingResponse`` on ASGI 2.4 servers only notices a disconnect when a
write fails, and a non-streaming handler never notices. Both helpers here listen for
``http.disconnect`` beside the work and cancel it, so the job is aborted at the engine's
next step instead of generating for nobody.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

import anyio
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

__all__ = ["ClientGone", "WatchedStreamingResponse", "until_disconnect"]

T = TypeVar("T")

log = logging.getLogger("codefill.api")


class ClientGone(Exception):
    """The client disconnected before the answer was ready."""


class WatchedStreamingResponse(StreamingResponse):
    """A streaming response that cancels its body iterator when the client disconnects."""

    def __init__(self, content: AsyncIterator[str], media_type: str) -> None:
        super().__init__(content, media_type=media_type)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with anyio.create_task_group() as group:

            async def stream() -> None:
                try:
                    await self.stream_response(send)
                except OSError:  # the socket closed under us
                    pass
                except Exception:
                    log.exception("streaming response failed")
                group.cancel_scope.cancel()

            async def watch() -> None:
                await _wait_for_disconnect(receive)
                group.cancel_scope.cancel()

            group.start_soon(stream)
            group.start_soon(watch)


async def until_disconnect(request: Request, work: Awaitable[T]) -> T:
    """Await ``work``; if the client disconnects first, cancel it and raise :class:`ClientGone`."""
    result: list[T] = []
    failure: list[Exception] = []
    async with anyio.create_task_group() as group:

        async def run() -> None:
            try:
                result.append(await work)
            except Exception as error:  # re-raised below, outside the task group
                failure.append(error)
            group.cancel_scope.cancel()

        async def watch() -> None:
            await _wait_for_disconnect(request.receive)
            group.cancel_scope.cancel()

        group.start_soon(run)
        group.start_soon(watch)
    if failure:
        raise failure[0]
    if not result:
        raise ClientGone
    return result[0]


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
