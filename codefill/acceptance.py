"""Prometheus metrics of what users do with completions: shown, accepted, dismissed, refused.

The counts come from :class:`codefill.service.telemetry.Telemetry` (this is its sink) and,
for refused events, from the access-log middleware, which sees every refusal on an event
route, including those made before the route runs (a body over the server's limit, a
missing API key).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from codefill.service.telemetry import AcceptKind, Event, Labels

__all__ = ["EVENT_ROUTES", "MAX_EVENT_BYTES", "AcceptanceMetrics"]

EVENT_ROUTES = frozenset({"/v1/events", "/api/events"})
MAX_EVENT_BYTES = 16 * 1024  # an event is a few hundred bytes; more is refused (413)
_SHARES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
_REASONS = {400: "malformed", 401: "unauthorized", 404: "unknown_id", 413: "oversized"}


class AcceptanceMetrics:
    """The telemetry counters and the acceptance histogram, in the server's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ["model", "language", "dialect"]
        self.shown = Counter(
            "codefill_completions_shown", "Completions an editor showed", labels, registry=registry
        )
        self.accepted = Counter(
            "codefill_completions_accepted",
            "Completions accepted, by how much: whole, line or word",
            [*labels, "kind"],
            registry=registry,
        )
        self.dismissed = Counter(
            "codefill_completions_dismissed", "Completions dismissed", labels, registry=registry
        )
        self.acceptance = Histogram(
            "codefill_completion_acceptance_ratio",
            "Share of each completion kept: 1 whole, a line's or word's share, 0 not accepted",
            ["model", "language"],
            buckets=_SHARES,
            registry=registry,
        )
        self.refused = Counter(
            "codefill_telemetry_events_refused",
            "Telemetry events refused: malformed, unauthorized, unknown_id, oversized, other",
            ["route", "reason"],
            registry=registry,
        )

    def event(self, labels: Labels, event: Event, kind: AcceptKind | None) -> None:
        values = (labels.model, labels.language, labels.dialect)
        if event is Event.VIEW:
            self.shown.labels(*values).inc()
        elif event is Event.ACCEPT:
            self.accepted.labels(*values, (kind or AcceptKind.WHOLE).value).inc()
        else:
            self.dismissed.labels(*values).inc()

    def settled(self, labels: Labels, share: float) -> None:
        self.acceptance.labels(labels.model, labels.language).observe(share)

    def refusal(self, route: str, status: int) -> None:
        """An event route answered ``status`` (4xx)."""
        self.refused.labels(route, _REASONS.get(status, "other")).inc()
