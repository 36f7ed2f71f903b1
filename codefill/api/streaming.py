"""The one answering loop every dialect goes through, and responses that notice a client leave.

A dialect describes its answers with an :class:`Encoder` (a piece of text, the final
answer, an error, the framing around them); :func:`answer` turns a
:class:`~codefill.service.completion.Completion` into one whole response or a stream with it.

Starlette's ``StreamingResponse`` on ASGI 2.4 servers only notices a disconnect when a
write fails, and a non-streaming handler never notices. Both helpers here listen for
``http.disconnect`` beside the work and cancel it, so the job is aborted at the engine's
next step instead of generating for nobody.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Protocol, TypeVar

import anyio
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from codefill.engine.base import Delta
from codefill.errors import CodefillError
from codefill.service.completion import Completion

__all__ = ["ClientGone", "Encoder", "WatchedStreamingResponse", "answer", "until_disconnect"]

T = TypeVar("T")

log = logging.getLogger("codefill.api")


class Encoder(Protocol):
    """How one dialect writes one answer. Stream methods return framed text (an NDJSON line,
    an SSE event); :meth:`whole` returns the body of a non-streaming answer."""

    @property
    def media_type(self) -> str:
        """The content type of a streamed answer."""
        ...

    def opening(self) -> list[str]:
        """Frames before the first piece (OpenAI's role chunk); usually none."""
        ...

    def piece(self, text: str) -> str: ...

    def closing(self, completion: Completion, final: Delta) -> list[str]:
        """The frames that end a streamed answer: the final object, usage, a terminator."""
        ...

    def error(self, error: CodefillError) -> str:
        """An error after the stream has started (the status line has already gone)."""
        ...

    def whole(self, completion: Completion, text: str, final: Delta) -> str: ...


async def answer(
    request: Request, completion: Completion, encoder: Encoder, *, stream: bool
) -> Response:
    """Answer ``request`` with ``completion``, whole or streamed, in the encoder's dialect."""
    request.state.completion = completion  # for the access log and the metrics
    headers = {"X-Codefill-Completion-Id": completion.id}
    if not stream:
        text, final = await until_disconnect(request, completion.collect())
        body = encoder.whole(completion, text, final)
        return Response(body, media_type="application/json", headers=headers)
    frames = _frames(completion, encoder)
    return WatchedStreamingResponse(frames, media_type=encoder.media_type, headers=headers)


async def _frames(completion: Completion, encoder: Encoder) -> AsyncIterator[str]:
    for frame in encoder.opening():
        yield frame
    async with contextlib.aclosing(completion.reader()) as deltas:
        try:
            async for delta in deltas:
                if delta.text:
                    yield encoder.piece(delta.text)
                if delta.finish is not None:
                    for frame in encoder.closing(completion, delta):
                        yield frame
                    return
        except CodefillError as error:
            yield encoder.error(error)


class ClientGone(Exception):
    """The client disconnected before the answer was ready."""


class WatchedStreamingResponse(StreamingResponse):
    """A streaming response that cancels its body iterator when the client disconnects."""

    def __init__(
        self, content: AsyncIterator[str], media_type: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(content, media_type=media_type, headers=headers)

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
