"""One completion per request: its state, its text, its readers, its timings, its end.

A :class:`Completion` reads its deltas from a source (the engine's stream, or, for a
type-ahead answer, a reader of the earlier completion the user is typing through), runs
them through post-processing (aborting the engine job as soon as the rules say the text is
over, so no model time is wasted), and keeps the text. Readers replay that text from their
own offset and then follow it live: the HTTP answer is one reader, type-ahead followers are
others. When the last reader leaves before the end, the source is abandoned; cancelling
(the client left, the server is draining, a newer request superseded it) ends every reader
at once with a final ``cancelled`` delta.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from codefill.engine.base import Delta, FinishReason, Usage
from codefill.errors import CodefillError, EngineError
from codefill.postprocess import PostprocessReport
from codefill.service.requests import Dialect
from codefill.types import Tokenizer

__all__ = ["Completion", "CompletionState", "DeltaSource", "Reader", "TextFilter"]


class CompletionState(enum.Enum):
    QUEUED = "queued"  # waiting for its first text (a free slot, the prompt)
    RUNNING = "running"  # text is arriving
    FINISHED = "finished"  # ended by the model, a stop or a limit
    CANCELLED = "cancelled"  # the client left or the server shut down
    SUPERSEDED = "superseded"  # a newer request from the same editor and file ended it


class DeltaSource(Protocol):
    """Where a completion's deltas come from: an engine's stream or another's reader."""

    def __aiter__(self) -> DeltaSource: ...

    async def __anext__(self) -> Delta: ...

    async def aclose(self) -> None: ...


class TextFilter(Protocol):
    """An incremental text transform (post-processing); see ``codefill.postprocess``."""

    def feed(self, text: str) -> str: ...

    def flush(self, ended: bool = False) -> str:
        """The rest of the text; ``ended``: the model ended it, no limit did."""
        ...

    @property
    def stopped(self) -> bool: ...

    def report(self) -> PostprocessReport | None:
        """What the filter removed and why, once it is done; None when nothing."""
        ...


def new_completion_id() -> str:
    return "cmpl-" + uuid.uuid4().hex


@dataclass(eq=False)  # kept in sets and dicts by identity
class Completion:
    """A request's answer in flight; build it, then :meth:`start` it on the event loop.

    ``abort`` stops the source early (the engine job); it is called when post-processing
    decides the text is over, when the completion is cancelled, and when every reader left.
    """

    model: str
    source: DeltaSource
    abort: Callable[[], None] = lambda: None
    text_filter: TextFilter | None = None
    prompt_ids: tuple[int, ...] = ()
    tokenizer: Tokenizer | None = None
    prompt_tokens: int = 0
    truncated_tokens: int = 0
    dropped_messages: int = 0  # older chat messages left out to fit the context
    language: str = ""
    dialect: Dialect = Dialect.OLLAMA  # the API it answers in, for telemetry
    typeahead: bool = False
    load_seconds: float = 0.0
    hold_seconds: float = 0.0  # how long the engine was told to hold it (a typing burst)
    started: float = field(default_factory=time.perf_counter)
    id: str = field(default_factory=new_completion_id)
    created: float = field(default_factory=time.time)
    state: CompletionState = CompletionState.QUEUED
    text: str = ""
    final: Delta | None = None
    first_token_at: float | None = None
    postprocess_seconds: float = 0.0  # spent in the text filter, on the event loop
    _readers: int = 0
    _reading: bool = False
    _waiters: list[asyncio.Future[None]] = field(default_factory=list)
    _pump: asyncio.Task[None] | None = None
    _on_end: list[Callable[[Completion], None]] = field(default_factory=list)

    def start(self) -> Completion:
        self._pump = asyncio.get_running_loop().create_task(self._run())
        return self

    @property
    def done(self) -> bool:
        return self.final is not None

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def context(self) -> list[int]:
        """Ollama's ``context``: the token ids of the prompt and of the answer so far."""
        if self.tokenizer is None or not self.text:
            return list(self.prompt_ids)
        return [*self.prompt_ids, *self.tokenizer.tokenize(self.text, special=False)]

    def postprocess_report(self) -> dict[str, str] | None:
        """What post-processing removed from this answer, which rule, and why; None when
        it removed nothing (or was off)."""
        report = self.text_filter.report() if self.text_filter is not None else None
        return dataclasses.asdict(report) if report is not None else None

    def when_done(self, callback: Callable[[Completion], None]) -> None:
        """Call ``callback`` once the completion has its final delta."""
        if self.done:
            callback(self)
        else:
            self._on_end.append(callback)

    def reader(self, offset: int = 0) -> Reader:
        """A reader that starts ``offset`` characters into the text."""
        self._readers += 1
        return Reader(self, offset)

    async def collect(self) -> tuple[str, Delta]:
        """Read the whole answer with a reader of its own: the text and the final delta."""
        pieces: list[str] = []
        async with contextlib.aclosing(self.reader()) as deltas:
            async for delta in deltas:
                pieces.append(delta.text)
                if delta.finish is not None:
                    return "".join(pieces), delta
        raise EngineError("the generation ended without a final result")

    def cancel(self, state: CompletionState = CompletionState.CANCELLED) -> None:
        """End now for every reader, and stop the source."""
        if self.final is None:
            self._finish(Delta("", FinishReason.CANCELLED, Usage()), state)
            if not self._reading:  # else cancelling the pump closes the source, which aborts
                self.abort()
            if self._pump is not None:
                self._pump.cancel()

    def _leave(self) -> None:
        self._readers -= 1
        if self._readers <= 0 and self.final is None:
            self.cancel()

    async def _run(self) -> None:
        stopped_early = False
        try:
            async with contextlib.aclosing(self.source) as source:
                self._reading = True
                async for delta in source:
                    if stopped_early:  # wait for the aborted job's usage, drop its text
                        if delta.finish is not None:
                            self._finish(Delta("", FinishReason.STOP, delta.usage))
                            return
                        continue
                    text, stopped_early = self._filtered(delta)
                    if stopped_early:
                        self.abort()
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
        if self.text_filter is None:
            return delta.text, False
        started = time.perf_counter()
        text = self.text_filter.feed(delta.text)
        stopped = self.text_filter.stopped
        if stopped or delta.finish is not None:
            text += self.text_filter.flush(ended=delta.finish is FinishReason.STOP)
        self.postprocess_seconds += time.perf_counter() - started
        return text, stopped and delta.finish is None

    def _append(self, text: str) -> None:
        if self.state is CompletionState.QUEUED:
            self.state = CompletionState.RUNNING
        if text:
            if self.first_token_at is None:
                self.first_token_at = time.perf_counter()
            self.text += text
            self._notify()

    def _finish(self, delta: Delta, state: CompletionState | None = None) -> None:
        if delta.text and self.first_token_at is None:
            self.first_token_at = time.perf_counter()
        self.text += delta.text
        if self.typeahead and delta.usage is not None:
            # the usage read is the earlier completion's; this one's own time is its wait
            waited = time.perf_counter() - self.started
            own = Usage(completion_tokens=delta.usage.completion_tokens, generation_seconds=waited)
            delta = dataclasses.replace(delta, usage=own)
        self.final = delta
        if delta.usage and delta.usage.prompt_tokens and not self.typeahead:
            self.prompt_tokens = delta.usage.prompt_tokens  # a remote engine's own count
        if state is None:
            cancelled = delta.finish is FinishReason.CANCELLED
            state = CompletionState.CANCELLED if cancelled else CompletionState.FINISHED
        self.state = state
        self._notify()
        callbacks, self._on_end = self._on_end, []
        for callback in callbacks:
            callback(self)

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _wait_beyond(self, offset: int) -> None:
        """Return once there is text past ``offset`` or the completion has ended."""
        while len(self.text) <= offset and self.final is None:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter


class Reader:
    """Async iterator of deltas from a :class:`Completion`, starting at ``offset``.

    Close it (``aclose``) when done; the last reader to leave early stops the completion.
    """

    def __init__(self, completion: Completion, offset: int) -> None:
        self._completion = completion
        self._offset = offset
        self._closed = False

    def __aiter__(self) -> Reader:
        return self

    async def __anext__(self) -> Delta:
        if self._closed:
            raise StopAsyncIteration
        completion = self._completion
        await completion._wait_beyond(self._offset)
        text = completion.text[self._offset :]
        self._offset = len(completion.text)
        final = completion.final
        if final is None or (final.error is not None and text):
            return Delta(text)  # a failure comes after the text that came before it
        await self.aclose()
        if final.error is not None:
            raise final.error
        return Delta(text, final.finish, final.usage)

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._completion._leave()
