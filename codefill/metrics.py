"""Prometheus metrics, in one registry per server (so tests can run several servers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from codefill.acceptance import AcceptanceMetrics
from codefill.engine.base import EngineHealth, Usage

__all__ = ["Metrics", "Snapshot"]

Snapshot = Callable[[], Mapping[str, object]]
_LATENCY = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    """What an operator watches: traffic, latency, tokens, cache reuse, load."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "codefill_requests",
            "HTTP requests by route and status",
            ["route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "codefill_request_seconds",
            "Time to the last byte",
            ["route"],
            buckets=_LATENCY,
            registry=r,
        )
        self.first_token = Histogram(
            "codefill_time_to_first_token_seconds",
            "Time to the first generated text",
            ["route"],
            buckets=_LATENCY,
            registry=r,
        )
        self.prompt_tokens = Counter(
            "codefill_prompt_tokens", "Prompt tokens received", ["model"], registry=r
        )
        self.completion_tokens = Counter(
            "codefill_completion_tokens", "Tokens generated", ["model"], registry=r
        )
        self.cached_tokens = Counter(
            "codefill_kv_cache_reused_tokens",
            "Prompt tokens taken from the KV cache",
            ["model"],
            registry=r,
        )
        self.finished = Counter(
            "codefill_generations", "Generations by how they ended", ["model", "reason"], registry=r
        )
        self.acceptance = AcceptanceMetrics(r)  # acceptance telemetry (docs/telemetry.md)
        r.register(_Live(snapshot))

    def observe(
        self,
        route: str,
        status: int,
        seconds: float,
        model: str | None = None,
        prompt_tokens: int = 0,
        usage: Usage | None = None,
        first_token: float | None = None,
        reason: str | None = None,
        typeahead: bool = False,
    ) -> None:
        self.requests.labels(route, str(status)).inc()
        self.latency.labels(route).observe(seconds)
        if first_token is not None:
            self.first_token.labels(route).observe(first_token)
        if model is None:
            return
        self.prompt_tokens.labels(model).inc(prompt_tokens)
        if usage is not None:
            self.completion_tokens.labels(model).inc(usage.completion_tokens)
            if not typeahead:
                self.cached_tokens.labels(model).inc(usage.cached_tokens)
        if reason is not None:
            self.finished.labels(model, "typeahead" if typeahead else reason).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Live(Collector):
    """Gauges read at scrape time: queue depth, busy slots, loaded models, supersessions."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        state = self._snapshot()
        queued = GaugeMetricFamily(
            "codefill_queue_depth", "Jobs waiting for a slot", labels=["model"]
        )
        busy = GaugeMetricFamily("codefill_busy_slots", "Slots generating", labels=["model"])
        engines = state.get("engines", {})
        assert isinstance(engines, dict)
        for model, stats in engines.items():
            queued.add_metric([model], stats.get("queued", 0))
            busy.add_metric([model], stats.get("busy_slots", 0))
        yield queued
        yield busy
        yield GaugeMetricFamily("codefill_loaded_models", "Models in memory", value=len(engines))
        yield from _worker_counters(state.get("health", {}))
        superseded = state.get("superseded", 0)
        assert isinstance(superseded, int)
        yield GaugeMetricFamily(
            "codefill_superseded_requests_total",
            "Requests ended early by a newer one from the same editor and file",
            value=superseded,
        )


def _worker_counters(health: object) -> Iterator[Metric]:
    """Worker crashes and restarts by model and cause (a signal's name, ``exit N``,
    ``watchdog``), as the engines count them."""
    assert isinstance(health, dict)
    crashes = CounterMetricFamily(
        "codefill_worker_crashes", "Worker processes that died", labels=["model", "cause"]
    )
    restarts = CounterMetricFamily(
        "codefill_worker_restarts",
        "Workers started again after one died",
        labels=["model", "cause"],
    )
    for model, state in health.items():
        assert isinstance(state, EngineHealth)
        for cause, count in state.crashes.items():
            crashes.add_metric([model, cause], count)
        for cause, count in state.restarts.items():
            restarts.add_metric([model, cause], count)
    yield crashes
    yield restarts
