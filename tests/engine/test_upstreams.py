from __future__ import annotations

import asyncio

import httpx
import pytest

from codefill.engine.upstreams import (
    AFFINITY_SLACK,
    SLOW_PROBES_TO_FAIL,
    HealthMonitor,
    ReplicaPool,
)
from codefill.errors import Overloaded
from codefill.settings import UpstreamConfig


def pool(count: int = 2) -> ReplicaPool:
    configs = [UpstreamConfig(url=f"http://replica{i}") for i in range(count)]
    return ReplicaPool("m", configs, retry_after=2)


def test_least_outstanding_then_round_robin_among_equals() -> None:
    replicas = pool(3)
    first = replicas.choose(None)
    second = replicas.choose(None)
    third = replicas.choose(None)
    assert len({first.url, second.url, third.url}) == 3
    replicas.release(second)
    assert replicas.choose(None) is second


def test_a_session_sticks_to_its_replica() -> None:
    replicas = pool(2)
    home = replicas.choose("editor-1")
    for _ in range(3):
        assert replicas.choose("editor-1") is home  # even while it is the busier one


def test_a_session_moves_when_its_replica_is_down_or_far_busier() -> None:
    replicas = pool(2)
    home = replicas.choose("s")
    replicas.mark_down(home, "connect error")
    moved = replicas.choose("s")
    assert moved is not home
    replicas.mark_up(home)
    assert replicas.choose("s") is moved  # the cache is warm there now
    moved.outstanding += AFFINITY_SLACK  # a burst from other clients
    assert replicas.choose("s") is home


def test_excluded_and_down_replicas_are_skipped_then_overloaded() -> None:
    replicas = pool(2)
    first = replicas.choose(None)
    second = replicas.choose(None, exclude=[first])
    assert second is not first
    replicas.mark_down(first, "HTTP 500: boom")
    with pytest.raises(Overloaded, match=r"no healthy upstream for model 'm'.*boom") as caught:
        replicas.choose(None, exclude=[second])
    assert caught.value.retry_after == 2
    replicas.mark_down(second, "refused")
    with pytest.raises(Overloaded):
        replicas.check_available()


def test_probe_falls_back_to_models_and_learns_the_path() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(404 if request.url.path == "/health" else 200, json={})

    async def scenario() -> None:
        replicas = pool(1)
        (replica,) = replicas.replicas
        replica.healthy = False
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            monitor = HealthMonitor(replicas, client, interval=1.0)
            await monitor.check()
            assert replica.healthy and replica.probe_path == "/v1/models"
            await monitor.check()
        assert seen == ["/health", "/v1/models", "/v1/models"]

    asyncio.run(scenario())


def test_probe_takes_out_unreachable_and_unready_replicas_but_not_busy_ones() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "replica0":
            raise httpx.ConnectError("refused")
        return httpx.Response(503, json={"status": "loading"})

    async def scenario() -> None:
        replicas = pool(3)
        down, loading, busy = replicas.replicas
        busy.touch()  # it streamed a moment ago: not probed
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            await HealthMonitor(replicas, client, interval=60.0).check()
        assert not down.healthy and "ConnectError" in down.last_error
        assert not loading.healthy and "503" in loading.last_error
        assert busy.healthy

    asyncio.run(scenario())


def test_slow_probes_take_an_idle_replica_out_only_when_they_persist() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("queued behind a generation")

    async def scenario() -> None:
        replicas = pool(1)
        (replica,) = replicas.replicas
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            monitor = HealthMonitor(replicas, client, interval=1.0)
            for _ in range(SLOW_PROBES_TO_FAIL - 1):
                await monitor.check()
            assert replica.healthy
            replica.outstanding = 1  # busy with our own request: still inconclusive
            await monitor.check()
            assert replica.healthy
            replica.outstanding = 0
            await monitor.check()
        assert not replica.healthy and "timed out" in replica.last_error

    asyncio.run(scenario())
