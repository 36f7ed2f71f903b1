"""The replicas of a remote model: which one a job goes to, and which ones are up.

Routing (:class:`ReplicaPool`) is least outstanding requests, with session affinity: the
jobs of one session (an editor and file) go to the replica that served it before, where the
upstream's prefix cache still holds the file, unless that replica is down or has
:data:`AFFINITY_SLACK` more requests in flight than the least loaded one. Health
(:class:`HealthMonitor`) is passive and active: a request that cannot connect, gets a 5xx
or loses its stream takes the replica out at once; a probe every ``health_interval``
seconds (``GET /health``, else ``GET /v1/models``) brings it back, and takes out a replica
that refuses connections, answers 5xx or not-ready, or lets :data:`SLOW_PROBES_TO_FAIL`
probes in a row time out while idle. A replica that streamed bytes within the last interval
is not probed: its traffic proves it is up, and a probe could queue behind its work.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Collection, Sequence

import httpx

from codefill.errors import Overloaded
from codefill.settings import UpstreamConfig

__all__ = [
    "AFFINITY_SLACK",
    "SLOW_PROBES_TO_FAIL",
    "HealthMonitor",
    "Replica",
    "ReplicaPool",
    "describe_error",
]

log = logging.getLogger("codefill.upstreams")

AFFINITY_SLACK = 8  # in-flight requests a session's replica may run ahead of the least loaded
SLOW_PROBES_TO_FAIL = 3  # probe timeouts in a row that take an idle replica out
_MAX_SESSIONS = 4096  # sessions remembered for affinity, least recently used forgotten first
_PROBE_PATHS = ("/health", "/v1/models")


class Replica:
    """One upstream server and what the router knows about it; mutated on the event loop."""

    def __init__(self, config: UpstreamConfig) -> None:
        self.url = config.url
        self.headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self.healthy = True  # optimistic until a request or a probe says otherwise
        self.outstanding = 0
        self.requests = 0
        self.last_error = ""
        self.last_progress = 0.0  # time.monotonic() of the last byte it sent us
        self.probe_path: str | None = None  # learned: the first of _PROBE_PATHS it answers
        self.slow_probes = 0  # probes in a row that timed out

    def touch(self) -> None:
        self.last_progress = time.monotonic()

    def __repr__(self) -> str:
        state = "up" if self.healthy else f"down ({self.last_error})"
        return f"Replica({self.url}, {state}, outstanding={self.outstanding})"


class ReplicaPool:
    """Chooses a replica per job and keeps the health marks."""

    def __init__(self, model: str, configs: Sequence[UpstreamConfig], retry_after: int) -> None:
        self.model = model
        self.replicas = [Replica(config) for config in configs]
        self._retry_after = retry_after
        self._affinity: collections.OrderedDict[str, Replica] = collections.OrderedDict()
        self._turn = 0

    def any_healthy(self) -> bool:
        return any(replica.healthy for replica in self.replicas)

    def check_available(self) -> None:
        """Raise :class:`Overloaded` when no replica is up, before a job is accepted."""
        if not self.any_healthy():
            raise self._none_left(())

    def choose(self, session: str | None, exclude: Collection[Replica] = ()) -> Replica:
        """Take a healthy replica not in ``exclude`` for one request; :meth:`release` it after."""
        candidates = [r for r in self.replicas if r.healthy and r not in exclude]
        if not candidates:
            raise self._none_left(exclude)
        least = min(replica.outstanding for replica in candidates)
        pinned = self._affinity.get(session) if session is not None else None
        if pinned in candidates and pinned.outstanding < least + AFFINITY_SLACK:
            replica = pinned
        else:
            ties = [replica for replica in candidates if replica.outstanding == least]
            replica = ties[self._turn % len(ties)]  # round robin among equals
            self._turn += 1
        if session is not None:
            self._affinity[session] = replica
            self._affinity.move_to_end(session)
            if len(self._affinity) > _MAX_SESSIONS:
                self._affinity.popitem(last=False)
        replica.outstanding += 1
        replica.requests += 1
        return replica

    def release(self, replica: Replica) -> None:
        replica.outstanding -= 1

    def mark_down(self, replica: Replica, reason: str) -> None:
        replica.last_error = reason
        if replica.healthy:
            replica.healthy = False
            log.warning(
                "model %s: upstream %s out of rotation: %s", self.model, replica.url, reason
            )

    def mark_up(self, replica: Replica) -> None:
        if not replica.healthy:
            replica.healthy = True
            log.info("model %s: upstream %s back in rotation", self.model, replica.url)

    def _none_left(self, tried: Collection[Replica]) -> Overloaded:
        states = "; ".join(
            f"{r.url} {'failed' if r in tried else 'down'}: {r.last_error or 'busy'}"
            for r in self.replicas
        )
        message = f"no healthy upstream for model '{self.model}' ({states})"
        return Overloaded(message, retry_after=self._retry_after)


class HealthMonitor:
    """Probes the pool's replicas every ``interval`` seconds until cancelled."""

    def __init__(self, pool: ReplicaPool, client: httpx.AsyncClient, interval: float) -> None:
        self.pool = pool
        self.client = client
        self.interval = interval
        self.timeout = min(5.0, max(1.0, interval))

    async def run(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self.interval)

    async def check(self) -> None:
        """Probe every replica that is down, or up but quiet for a whole interval."""
        quiet_since = time.monotonic() - self.interval
        due = [r for r in self.pool.replicas if not r.healthy or r.last_progress < quiet_since]
        await asyncio.gather(*(self._probe(replica) for replica in due))

    async def _probe(self, replica: Replica) -> None:
        paths = (replica.probe_path,) if replica.probe_path else _PROBE_PATHS
        reason = "no probe answered"
        for path in paths:
            try:
                response = await self.client.get(
                    replica.url + path, headers=replica.headers, timeout=self.timeout
                )
            except httpx.ReadTimeout:
                # A server may answer probes only between generations (llama-cpp-python
                # takes the model lock for /v1/models): slow is not yet down.
                replica.slow_probes += 1
                if replica.outstanding or replica.slow_probes < SLOW_PROBES_TO_FAIL:
                    return
                reason = f"health check {path} timed out {replica.slow_probes} times in a row"
                break
            except httpx.HTTPError as error:
                reason = f"health check failed: {describe_error(error)}"
                break  # the server is unreachable; the next path will not do better
            replica.slow_probes = 0
            if response.is_success:
                replica.probe_path = path
                self.pool.mark_up(replica)
                return
            reason = f"health check {path} answered {response.status_code}"
            if response.status_code not in (404, 405):
                break  # the endpoint exists and says the server is not ready
        self.pool.mark_down(replica, reason)


def describe_error(error: httpx.HTTPError) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
