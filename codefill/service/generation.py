"""One engine job's output, shared by the request that started it and type-ahead followers.

A pump task reads the engine's deltas, runs them through post-processing (aborting the job
as soon as the rules say the completion is over, so no model time is wasted), and appends
the result to a buffer. Each reader is a :class:`Subscription` that replays the buffer from
its own offset and then follows it live. When the last reader leaves before the end, the job
is aborted; when the generation is superseded, every reader gets a final ``cancelled`` delta
at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Protocol

from codefill.engine.base import Delta, DeltaStream, FinishReason, Usage
from codefill.errors import CodefillError, EngineError

__all__ = ["Generation", "Subscription", "TextFilter"]


class TextFilter(Protocol):
    """An incremental text transform (post-processing); see ``codefill.postprocess``."""

    def feed(self, text: str) -> str: ...

    def flush(self) -> str: ...

    @property
    def stopped(self) -> bool: ...


class Generation:
    def __init__(
        self,
        stream: DeltaStream,
        abort: Callable[[], None],
        text_filter: TextFilter | None = None,
    ) -> None:
        self.text = ""
        self.final: Delta | None = None
        self._stream = stream
        self._abort = abort
        self._filter = text_filter
        self._readers = 0
        self._waiters: list[asyncio.Future[None]] = []
        self._pump = asyncio.get_running_loop().create_task(self._run())

    @property
    def done(self) -> bool:
        return self.final is not None

    def subscribe(self, offset: int = 0) -> Subscription:
        """A reader that starts ``offset`` characters into the text."""
        self._readers += 1
        return Subscription(self, offset)

    def cancel(self) -> None:
        """End now for every reader (supersession), and abort the engine job."""
        if self.final is None:
            self._finish(Delta("", FinishReason.CANCELLED, Usage()))
            self._pump.cancel()

    def _leave(self) -> None:
        self._readers -= 1
        if self._readers <= 0 and self.final is None:
            self._pump.cancel()

    async def _run(self) -> None:
        stopped_early = False
        try:
            async with contextlib.aclosing(self._stream) as stream:
                async for delta in stream:
                    if stopped_early:  # wait for the aborted job's usage, drop its text
                        if delta.finish is not None:
                            self._finish(Delta("", FinishReason.STOP, delta.usage))
                            return
                        continue
                    text, stopped_early = self._filtered(delta)
                    if stopped_early:
                        self._abort()
                        self._append(text)
                    elif delta.finish is not None:
                        self._finish(Delta(text, delta.finish, delta.usage))
                        return
                    else:
                        self._append(text)
        except asyncio.CancelledError:
            if self.final is None:
                self._finish(Delta("", FinishReason.CANCELLED, Usage()))
        except CodefillError as error:
            self._finish(Delta("", FinishReason.STOP, Usage(), error=error))
        except Exception as error:  # a bug in a filter must fail this request only
            self._finish(Delta("", FinishReason.STOP, Usage(), error=EngineError(str(error))))

    def _filtered(self, delta: Delta) -> tuple[str, bool]:
        """The delta's text after post-processing, and whether the rules stopped it here."""
        if self._filter is None:
            return delta.text, False
        text = self._filter.feed(delta.text)
        stopped = self._filter.stopped
        if stopped or delta.finish is not None:
            text += self._filter.flush()
        return text, stopped and delta.finish is None

    def _append(self, text: str) -> None:
        if text:
            self.text += text
            self._notify()

    def _finish(self, delta: Delta) -> None:
        self.text += delta.text
        self.final = delta
        self._notify()

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_beyond(self, offset: int) -> None:
        """Return once there is text past ``offset`` or the generation has ended."""
        while len(self.text) <= offset and self.final is None:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter


class Subscription:
    """Async iterator of deltas from a :class:`Generation`, starting at ``offset``."""

    def __init__(self, generation: Generation, offset: int) -> None:
        self._generation = generation
        self._offset = offset
        self._closed = False

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Delta:
        if self._closed:
            raise StopAsyncIteration
        generation = self._generation
        await generation.wait_beyond(self._offset)
        text = generation.text[self._offset :]
        self._offset = len(generation.text)
        final = generation.final
        if final is None:
            return Delta(text)
        await self.aclose()
        if final.error is not None:
            raise final.error
        return Delta(text, final.finish, final.usage)

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._generation._leave()
