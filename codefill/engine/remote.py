"""The remote engine: jobs forwarded to OpenAI-compatible replicas (vLLM, SGLang, llama.cpp).

codefill keeps everything model-specific that a forwarding front end must own: the FIM
prompt is rendered here (``Job.text``) and sent as a plain ``prompt``, because vLLM refuses
``suffix``; the family's stop strings go upstream and are checked again on the way back.
Each job is one asyncio task that streams one upstream request. Cancelling the task (an
abort, supersession, or the client leaving) closes that HTTP request, which makes vLLM and
llama.cpp abort the sequence. A job whose replica fails before it produced any text is
retried on another; see :mod:`codefill.engine.upstreams` for routing and health.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import math
import time

import httpx

from codefill.engine.base import Delta, DeltaStream, Engine, FinishReason, Job, ModelInfo, Usage
from codefill.engine.remote_tokenizer import ApproximateTokenizer
from codefill.engine.remote_wire import (
    DONE,
    Chunk,
    EventDecoder,
    error_message,
    parse_chunk,
    request_body,
)
from codefill.engine.stop_strings import StopMatcher
from codefill.engine.upstreams import HealthMonitor, Replica, ReplicaPool, describe_error
from codefill.errors import BadRequest, CodefillError, EngineError
from codefill.settings import ModelConfig, Settings

__all__ = ["RemoteEngine"]

log = logging.getLogger("codefill.remote")
# httpx logs every request at INFO: one line per completion and per probe is noise here.
logging.getLogger("httpx").setLevel(logging.WARNING)

DEFAULT_CONTEXT_LENGTH = 4096


class _ReplicaFailed(Exception):
    """This replica could not serve the request; another one might (``down``: take it out)."""

    def __init__(self, reason: str, *, down: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.down = down


class _Progress:
    """Counts and clocks of one job across its attempts; usage fields are the upstream's."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.started = time.perf_counter()
        self.attempt_started = self.started
        self.first_text: float | None = None
        self.pieces = 0
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None
        self.cached_tokens: int | None = None
        self.final_sent = False

    def begin_attempt(self) -> None:
        self.attempt_started = time.perf_counter()

    def note(self, chunk: Chunk) -> None:
        if chunk.text:
            self.pieces += 1
            if self.first_text is None:
                self.first_text = time.perf_counter()
        if chunk.prompt_tokens is not None:
            self.prompt_tokens = chunk.prompt_tokens
        if chunk.completion_tokens is not None:
            self.completion_tokens = chunk.completion_tokens
        if chunk.cached_tokens is not None:
            self.cached_tokens = chunk.cached_tokens

    def out_of_time(self, text: str) -> bool:
        """Whether generation has run past ``time_budget``, counted from the first text, or
        past ``line_budget`` with ``text`` (the latest piece) ending a line."""
        sampling = self.job.sampling
        if self.first_text is None:
            return False
        elapsed = time.perf_counter() - self.first_text
        if sampling.time_budget is not None and elapsed >= sampling.time_budget:
            return True
        budget = sampling.line_budget
        return budget is not None and elapsed >= budget and "\n" in text

    def usage(self) -> Usage:
        """The upstream's counts where it sent them, else the local estimate and piece count."""
        now = time.perf_counter()
        first = self.first_text or now
        return Usage(
            prompt_tokens=len(self.job.tokens)
            if self.prompt_tokens is None
            else self.prompt_tokens,
            cached_tokens=self.cached_tokens or 0,
            completion_tokens=self.pieces
            if self.completion_tokens is None
            else self.completion_tokens,
            queue_seconds=self.attempt_started - self.started,
            prompt_seconds=first - self.attempt_started,
            generation_seconds=now - first,
        )


class RemoteEngine(Engine):
    """A model served by remote replicas; built off the loop, started on the first job."""

    def __init__(
        self, config: ModelConfig, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self.info = ModelInfo(
            name=config.name,
            path=config.upstreams[0].url,
            context_length=config.context_length or DEFAULT_CONTEXT_LENGTH,
            family=config.family or "",
        )
        self.tokenizer = ApproximateTokenizer()
        self.pool = ReplicaPool(
            config.name, config.upstreams, retry_after=math.ceil(config.health_interval)
        )
        self._transport = transport
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._health: asyncio.Task[None] | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._closing: asyncio.Task[None] | None = None

    @classmethod
    def create(cls, config: ModelConfig, settings: Settings) -> RemoteEngine:
        """Called from a worker thread: connects to nothing until the first job."""
        return cls(config)

    def generate(self, job: Job) -> DeltaStream:
        client = self._start()
        self.pool.check_available()
        stream = DeltaStream(on_abandon=lambda: self.abort(job.id))
        progress = _Progress(job)
        task = asyncio.get_running_loop().create_task(self._run(client, job, stream, progress))
        self._tasks[job.id] = task
        task.add_done_callback(lambda done: self._settle(done, job, stream, progress))
        return stream

    def abort(self, job_id: str) -> None:
        task = self._tasks.get(job_id)
        if task is None or self._loop is None:
            return
        if self._on_loop():
            task.cancel()
        else:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing runs
                self._loop.call_soon_threadsafe(task.cancel)

    def stats(self) -> dict[str, int]:
        return {
            "queued": 0,
            "busy_slots": len(self._tasks),
            "upstreams": len(self.pool.replicas),
            "healthy_upstreams": sum(r.healthy for r in self.pool.replicas),
        }

    def close(self) -> None:
        """Cancel the jobs and probes and close the connections, from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if self._on_loop():
            self._closing = loop.create_task(self._shutdown())
        elif loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            with contextlib.suppress(concurrent.futures.TimeoutError):
                future.result(timeout=5)

    def _start(self) -> httpx.AsyncClient:
        """The HTTP client and the health probes, made on the first job (on the loop)."""
        if self._client is None:
            self._loop = asyncio.get_running_loop()
            timeout = self.config.timeout
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
                transport=self._transport,
            )
            monitor = HealthMonitor(self.pool, self._client, self.config.health_interval)
            self._health = self._loop.create_task(monitor.run())
        return self._client

    def _on_loop(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    async def _shutdown(self) -> None:
        tasks = [*self._tasks.values(), *([self._health] if self._health else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        client, self._client, self._health = self._client, None, None
        if client is not None:
            await client.aclose()

    async def _run(
        self, client: httpx.AsyncClient, job: Job, stream: DeltaStream, progress: _Progress
    ) -> None:
        try:
            if job.hold > 0:  # a keystroke in a burst: the next one likely cancels it first
                await asyncio.sleep(job.hold)
            final = await self._attempts(client, job, stream, progress)
        except asyncio.CancelledError:
            final = Delta("", FinishReason.CANCELLED, progress.usage())
        except CodefillError as error:
            final = Delta("", FinishReason.STOP, progress.usage(), error=error)
        progress.final_sent = True
        stream.put(final)

    def _settle(
        self, task: asyncio.Task[None], job: Job, stream: DeltaStream, progress: _Progress
    ) -> None:
        """Done callback: forget the job; end its stream if the task never could."""
        self._tasks.pop(job.id, None)
        if progress.final_sent:
            return
        progress.final_sent = True  # cancelled before it ran, or a bug escaped _run
        failure = None if task.cancelled() else task.exception()
        if failure is None:
            stream.put(Delta("", FinishReason.CANCELLED, progress.usage()))
            return
        log.error("job %s failed", job.id, exc_info=failure)
        error = EngineError(f"remote generation failed: {failure}")
        stream.put(Delta("", FinishReason.STOP, progress.usage(), error=error))

    async def _attempts(
        self, client: httpx.AsyncClient, job: Job, stream: DeltaStream, progress: _Progress
    ) -> Delta:
        """Try replicas until one streams the job; only a job with no text yet moves on."""
        tried: list[Replica] = []
        while True:
            replica = self.pool.choose(job.session, exclude=tried)  # Overloaded: none left
            tried.append(replica)
            try:
                return await self._attempt(client, replica, job, stream, progress)
            except _ReplicaFailed as failure:
                replica.last_error = failure.reason
                if failure.down:
                    self.pool.mark_down(replica, failure.reason)
                if progress.pieces:
                    message = f"upstream {replica.url} failed mid-generation: {failure.reason}"
                    raise EngineError(message) from None
                if len(tried) > self.config.retries:
                    message = f"model '{self.config.name}': {len(tried)} upstream attempts failed"
                    raise EngineError(f"{message}; last: {replica.url}: {failure.reason}") from None
                log.info("job %s: %s failed (%s); retrying", job.id, replica.url, failure.reason)
            finally:
                self.pool.release(replica)

    async def _attempt(
        self,
        client: httpx.AsyncClient,
        replica: Replica,
        job: Job,
        stream: DeltaStream,
        progress: _Progress,
    ) -> Delta:
        path, body = request_body(job, self.config.upstream_model)
        progress.begin_attempt()
        try:
            async with client.stream(
                "POST", replica.url + path, json=body, headers=replica.headers
            ) as response:
                replica.touch()
                if response.status_code != 200:
                    await response.aread()
                    raise _refusal(replica, response)
                return await self._read(response, replica, job, stream, progress)
        except httpx.HTTPError as error:  # connect, read, timeout, protocol: all the replica's
            raise _ReplicaFailed(describe_error(error), down=True) from None

    async def _read(
        self,
        response: httpx.Response,
        replica: Replica,
        job: Job,
        stream: DeltaStream,
        progress: _Progress,
    ) -> Delta:
        """Forward the text of one SSE response; returns the final delta."""
        events = EventDecoder()
        stops = StopMatcher(job.sampling.stop)
        finish: FinishReason | None = None
        ended = False
        async for line in response.aiter_lines():
            replica.touch()
            data = events.feed(line)
            if data is None or ended:
                continue  # after [DONE], read to the end so the connection can be reused
            if data == DONE:
                ended = True
                continue
            chunk = _chunk(replica, data)
            progress.note(chunk)
            visible = stops.feed(chunk.text)
            if visible:
                stream.put(Delta(visible))
            if stops.stopped:
                return Delta("", FinishReason.STOP, progress.usage())  # closes the request
            finish = chunk.finish or finish
            if finish is None and progress.out_of_time(chunk.text):
                finish = FinishReason.LENGTH  # the time budget, as the local scheduler does
                break  # leaving closes the request
        if not ended and finish is None:
            raise _ReplicaFailed("the stream ended before the generation finished", down=False)
        tail = stops.flush()
        if tail:
            stream.put(Delta(tail))
        return Delta("", finish or FinishReason.STOP, progress.usage())


def _chunk(replica: Replica, data: str) -> Chunk:
    try:
        chunk = parse_chunk(json.loads(data))
    except ValueError:
        raise EngineError(f"upstream {replica.url} sent an invalid event: {data[:200]}") from None
    if chunk.error is not None:
        raise EngineError(f"upstream {replica.url}: {chunk.error}")
    return chunk


def _refusal(replica: Replica, response: httpx.Response) -> Exception:
    """What a non-200 answer means: the replica's trouble (retry) or the request's (fail)."""
    try:
        message = error_message(response.json())
    except ValueError:
        message = response.text[:500]
    status = response.status_code
    reason = f"HTTP {status}: {message}"
    if status >= 500:
        return _ReplicaFailed(reason, down=True)
    if status in (408, 429):
        return _ReplicaFailed(reason, down=False)  # busy, not broken
    if status in (400, 413, 422):
        return BadRequest(f"the upstream refused the request: {message}")
    return EngineError(f"upstream {replica.url} answered {reason}")
