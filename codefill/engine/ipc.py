"""What the HTTP process and a model's worker process say to each other, and how.

Two pipes per worker, one each way, framed and pickled by ``multiprocessing.connection``
(``benchmarks/transport.py`` measured it beside JSON and msgpack-like encodings: a delta costs
a few microseconds against the milliseconds a token takes). Messages are plain tuples whose
first item names them; the dataclasses here build and read them. Errors cross as their class
name and message, so the HTTP process raises the same :mod:`codefill.errors` class.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from codefill import errors
from codefill.engine.base import Delta, FinishReason, Usage
from codefill.settings import CpuShare

__all__ = [
    "Channel",
    "Load",
    "decode_delta",
    "decode_error",
    "encode_delta",
    "encode_error",
]

# parent -> worker: ("load", Load) once, then ("submit", Job), ("abort", id), ("close",)
# worker -> parent: ("ready", ModelInfo) or ("failed", message) once, then ("admitted", id),
# ("delta", id, ...), ("beat",) every heartbeat interval
Message = tuple[Any, ...]


@dataclass(frozen=True)
class Load:
    """Everything a worker needs to load its model; ``settings`` is the JSON of Settings."""

    path: str
    name: str
    context_length: int | None
    settings: str
    threads: int
    extra_buffers: bool
    share: CpuShare  # how workers share the cores (engine/cores.py)
    share_path: str | None
    share_slot: int
    fault: str | None = None  # a test hook: see ``engine/worker.py``


class Channel:
    """One direction of a worker's pipes; ``send`` may be called from several threads."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._lock = threading.Lock()

    def send(self, *message: Any) -> None:
        with self._lock:
            self.connection.send(message)

    def recv(self) -> Message:
        message = self.connection.recv()
        assert isinstance(message, tuple)
        return message

    def close(self) -> None:
        self.connection.close()


def encode_error(error: errors.CodefillError) -> tuple[str, str, str | None]:
    return type(error).__name__, error.message, getattr(error, "param", None)


def decode_error(kind: str, message: str, param: str | None) -> errors.CodefillError:
    """The error the worker raised, as the same class where it is a plain one."""
    if kind in ("BadRequest", "ContextOverflow"):
        cls: type[errors.BadRequest] = getattr(errors, kind)
        return cls(message, param=param)
    if kind == "Overloaded":
        return errors.Overloaded(message)
    if kind == "ModelLoadError":
        return errors.ModelLoadError(message)
    return errors.EngineError(message)


def encode_delta(job_id: str, delta: Delta) -> Message:
    usage = delta.usage
    return (
        "delta",
        job_id,
        delta.text,
        delta.finish.value if delta.finish is not None else None,
        None if usage is None else _usage_tuple(usage),
        None if delta.error is None else encode_error(delta.error),
    )


def decode_delta(message: Message) -> tuple[str, Delta]:
    _, job_id, text, finish, usage, error = message
    return job_id, Delta(
        text,
        FinishReason(finish) if finish is not None else None,
        Usage(*usage) if usage is not None else None,
        decode_error(*error) if error is not None else None,
    )


def _usage_tuple(usage: Usage) -> tuple[int | float, ...]:
    return (
        usage.prompt_tokens,
        usage.cached_tokens,
        usage.completion_tokens,
        usage.queue_seconds,
        usage.prompt_seconds,
        usage.generation_seconds,
        usage.decode_seconds,
        usage.draft_tokens,
        usage.accepted_tokens,
    )
