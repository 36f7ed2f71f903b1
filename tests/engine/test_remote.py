"""RemoteEngine against scripted upstreams (httpx.MockTransport); real servers: tests/remote."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from codefill.engine.base import Delta, FinishReason, Job, SamplingParams
from codefill.engine.remote import RemoteEngine
from codefill.errors import BadRequest, CodefillError, EngineError, Overloaded
from codefill.settings import ModelConfig, Settings

Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


def config(replicas: int = 2, **fields: Any) -> ModelConfig:
    upstreams = [{"url": f"http://replica{i}:8000"} for i in range(replicas)]
    return ModelConfig.model_validate(
        {"name": "remote", "upstreams": upstreams, "upstream_model": "m", **fields}
    )


def sse(*events: Any, done: bool = True) -> bytes:
    lines = [f"data: {json.dumps(event)}\n\n" for event in events]
    return ("".join(lines) + ("data: [DONE]\n\n" if done else "")).encode()


def pieces(*texts: str, finish: str = "stop") -> list[dict[str, Any]]:
    chunks: list[dict[str, Any]] = [
        {"choices": [{"text": t, "finish_reason": None}]} for t in texts
    ]
    chunks.append({"choices": [{"text": "", "finish_reason": finish}]})
    return chunks


async def collect(engine: RemoteEngine, job: Job) -> tuple[str, Delta]:
    text = ""
    async for delta in engine.generate(job):
        text += delta.text
        if delta.finish is not None:
            return text, delta
    raise AssertionError("no final delta")


def run(
    handler: Handler,
    scenario: Callable[[RemoteEngine], Awaitable[None]],
    *,
    probes: Handler | None = None,
    **fields: Any,
) -> None:
    """Run ``scenario`` on an engine whose POSTs go to ``handler``, probes to ``probes``."""

    async def healthy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={})

    async def route(request: httpx.Request) -> httpx.Response:
        return await (handler if request.method == "POST" else probes or healthy)(request)

    async def main() -> None:
        engine = RemoteEngine(config(**fields), transport=httpx.MockTransport(route))
        try:
            await scenario(engine)
        finally:
            engine.close()
            await asyncio.sleep(0)

    asyncio.run(main())


def test_streams_text_and_reports_upstream_usage() -> None:
    bodies: list[dict[str, Any]] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        usage = {"choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 2}}
        return httpx.Response(200, content=sse(*pieces("def", " f", finish="length"), usage))

    async def scenario(engine: RemoteEngine) -> None:
        job = Job((1, 2, 3), SamplingParams(max_tokens=2), text="<pre>x<mid>")
        text, final = await collect(engine, job)
        assert text == "def f" and final.finish is FinishReason.LENGTH
        assert final.usage is not None
        assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (11, 2)
        assert bodies[0]["prompt"] == "<pre>x<mid>" and bodies[0]["model"] == "m"

    run(handler, scenario)


def test_without_usage_counts_come_from_the_stream_and_the_estimate() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/chat/completions"
        chunk = {"choices": [{"delta": {"content": "hi"}, "finish_reason": None}]}
        return httpx.Response(200, content=sse(chunk, chunk, {"choices": [{"delta": {}}]}))

    async def scenario(engine: RemoteEngine) -> None:
        job = Job((1, 2, 3, 4), messages=(("user", "hello"),))
        text, final = await collect(engine, job)
        assert text == "hihi" and final.finish is FinishReason.STOP and final.usage
        assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (4, 2)

    run(handler, scenario)


def test_a_failed_replica_is_taken_out_and_the_job_retried() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "replica0":
            return httpx.Response(500, json={"error": {"message": "engine dead"}})
        return httpx.Response(200, content=sse(*pieces("ok")))

    async def scenario(engine: RemoteEngine) -> None:
        for _ in range(3):
            text, final = await collect(engine, Job((1,), text="x"))
            assert (text, final.finish) == ("ok", FinishReason.STOP)
        assert engine.stats()["healthy_upstreams"] == 1
        assert "engine dead" in engine.pool.replicas[0].last_error

    run(handler, scenario)


def test_when_every_replica_fails_the_job_fails_then_generate_refuses() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    async def scenario(engine: RemoteEngine) -> None:
        with pytest.raises(Overloaded, match=r"no healthy upstream.*ConnectError"):
            await collect(engine, Job((1,), text="x"))
        with pytest.raises(Overloaded):
            engine.generate(Job((1,), text="x"))

    run(handler, scenario, probes=handler)


def test_a_failure_after_text_is_an_error_not_a_retry() -> None:
    calls: list[str] = []

    async def broken() -> AsyncIterator[bytes]:
        yield sse(*pieces("partial")[:1], done=False)
        raise httpx.ReadError("connection reset")

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url.host))
        return httpx.Response(200, content=broken())

    async def scenario(engine: RemoteEngine) -> None:
        text = ""
        with pytest.raises(EngineError, match=r"mid-generation.*ReadError"):
            async for delta in engine.generate(Job((1,), text="x")):
                text += delta.text
        assert text == "partial" and len(calls) == 1

    run(handler, scenario, replicas=1)


def test_abort_cancels_the_upstream_request() -> None:
    closed = asyncio.Event()

    async def endless() -> AsyncIterator[bytes]:
        try:
            yield sse(*pieces("a")[:1], done=False)
            await asyncio.Event().wait()
        finally:
            closed.set()

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=endless())

    async def scenario(engine: RemoteEngine) -> None:
        job = Job((1,), text="x")
        stream = engine.generate(job)
        first = await stream.__anext__()
        assert first.text == "a" and engine.stats()["busy_slots"] == 1
        engine.abort(job.id)
        final = await stream.__anext__()
        assert final.finish is FinishReason.CANCELLED
        await asyncio.wait_for(closed.wait(), 5)
        assert engine.stats()["busy_slots"] == 0
        early = Job((1,), text="y")
        stream = engine.generate(early)
        engine.abort(early.id)  # before its task ever ran
        assert (await stream.__anext__()).finish is FinishReason.CANCELLED

    run(handler, scenario, replicas=1)


def test_refusals_fail_the_request_and_keep_the_replica() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"object": "error", "message": "prompt too long"})

    async def scenario(engine: RemoteEngine) -> None:
        with pytest.raises(BadRequest, match="prompt too long"):
            await collect(engine, Job((1,), text="x"))
        assert engine.stats()["healthy_upstreams"] == 1

    run(handler, scenario, replicas=1)


def test_stop_strings_are_enforced_locally_too() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=sse(*pieces("x = 1\n", "<|file_sep|>", "junk")))

    async def scenario(engine: RemoteEngine) -> None:
        job = Job((1,), SamplingParams(stop=("<|file_sep|>",)), text="x")
        text, final = await collect(engine, job)
        assert (text, final.finish) == ("x = 1\n", FinishReason.STOP)

    run(handler, scenario, replicas=1)


def test_in_band_error_event() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=sse({"error": {"message": "oom"}}))

    async def scenario(engine: RemoteEngine) -> None:
        with pytest.raises(CodefillError, match="oom"):
            await collect(engine, Job((1,), text="x"))

    run(handler, scenario, replicas=1)


def test_upstream_config_is_normalised_and_checked() -> None:
    engine = RemoteEngine.create(
        config(1, upstreams=[{"url": "http://gpu-1:8000/v1/", "api_key": "k"}]), Settings()
    )
    assert engine.info.path == "http://gpu-1:8000" and engine.info.context_length == 4096
    assert engine.pool.replicas[0].headers == {"Authorization": "Bearer k"}
    assert engine.tokenizer.special_token("<|fim_prefix|>") is None
    for bad in ({"upstreams": [{"url": "gpu-1:8000"}]}, {"retries": -1}, {"health_interval": 0}):
        with pytest.raises(ValidationError):
            config(**bad)


def test_the_time_budget_ends_the_generation_with_length() -> None:
    async def slow() -> AsyncIterator[bytes]:
        for _ in range(50):
            yield sse(*pieces("x")[:1], done=False)
            await asyncio.sleep(0.01)

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=slow())

    async def scenario(engine: RemoteEngine) -> None:
        job = Job((1,), SamplingParams(time_budget=0.05), text="x")
        text, final = await collect(engine, job)
        assert final.finish is FinishReason.LENGTH and 0 < len(text) < 50

    run(handler, scenario, replicas=1)


def test_a_client_budget_ends_the_generation_only_with_a_line() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=sse(*pieces("ab", "c(", "d)\n", "ef", "\ng")))

    async def scenario(engine: RemoteEngine) -> None:
        job = Job((1,), SamplingParams(line_budget=0.0), text="x")
        text, final = await collect(engine, job)
        assert (text, final.finish) == ("abc(d)\n", FinishReason.LENGTH)

    run(handler, scenario, replicas=1)
