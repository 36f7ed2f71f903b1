"""The engine seam: what every engine (local llama.cpp, remote pool, fake) promises.

Work crosses this seam as frozen dataclasses. A :class:`Job` carries token ids (the service
tokenizes with the engine's :class:`Tokenizer`), sampling parameters and stop strings; the
engine answers with :class:`Delta` values, the last of which has ``finish`` set and carries
the :class:`Usage`. Nothing here knows about HTTP or about llama.cpp.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

from codefill.errors import BadRequest, CodefillError, ContextOverflow
from codefill.types import Tokenizer

__all__ = [
    "Delta",
    "DeltaStream",
    "Engine",
    "EngineHealth",
    "FinishReason",
    "Job",
    "ModelInfo",
    "SamplingParams",
    "Tokenizer",
    "Usage",
    "check_prompt",
    "next_job_id",
]

_job_ids = itertools.count(1)


def next_job_id() -> str:
    return f"job-{next(_job_ids)}"


class FinishReason(enum.Enum):
    """Why a generation ended; dialects map these to their own words."""

    STOP = "stop"  # end-of-generation token or a stop string
    LENGTH = "length"  # max_tokens, the context, or the time budget ran out
    CANCELLED = "cancelled"  # the client went away or a newer request superseded it


@dataclass(frozen=True)
class SamplingParams:
    """Per-request sampling; ``temperature <= 0`` means greedy, ``seed=None`` a random one."""

    max_tokens: int = 128
    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.0
    repeat_last_n: int = 64
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    seed: int | None = None
    stop: tuple[str, ...] = ()
    time_budget: float | None = None  # seconds of generation before ending with LENGTH
    # the client's budget, as llama.cpp's server honours t_max_predict_ms: once this many
    # seconds of generation have passed, end (LENGTH) with the next token that holds a
    # newline, so a budget never stops a completion inside a line
    line_budget: float | None = None

    def out_of_time(self, elapsed: float, piece: bytes) -> bool:
        """The server's hard budget ends anywhere; the client's only on a token with a
        newline (``piece`` is the token just written)."""
        if self.time_budget is not None and elapsed >= self.time_budget:
            return True
        return self.line_budget is not None and elapsed >= self.line_budget and b"\n" in piece


@dataclass(frozen=True)
class Job:
    """One generation: prompt token ids in, text out.

    ``text`` is the same prompt as text, for engines that send text rather than tokens (a
    remote server). A chat job also carries its ``messages`` as (role, content) pairs, so a
    remote engine can let the upstream apply the model's own chat template. ``session``
    groups the requests of one editor and file, so a router can send them to the same
    replica, whose prefix cache then hits.

    ``retype`` is token healing: ``tokens`` were backed off before the cursor, and the
    first generated tokens must write these bytes again (only tokens that start with what
    is left of them, or are a prefix of it, may be sampled); the deltas carry only the text
    after them; ``backed_off`` prompt tokens were removed for it, and the usage still
    counts them as prompt tokens (so a client sees its prompt's size whether or not it was
    healed). Only an engine whose ``can_heal`` is true honours it; ``text`` is never
    backed off.

    ``hold`` (seconds) keeps the job waiting that long after it is submitted before it may
    start: a keystroke in a burst of typing is likely superseded by the next one, and a
    job aborted while held never costs the engine a step (``service/typing.py``).
    """

    tokens: tuple[int, ...]
    sampling: SamplingParams = field(default_factory=SamplingParams)
    id: str = field(default_factory=next_job_id)
    text: str = ""
    messages: tuple[tuple[str, str], ...] = ()
    session: str | None = None
    retype: bytes = b""
    backed_off: int = 0
    hold: float = 0.0


@dataclass(frozen=True)
class Usage:
    """Counts and timings of one finished job, in tokens and seconds."""

    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    queue_seconds: float = 0.0
    prompt_seconds: float = 0.0
    generation_seconds: float = 0.0
    decode_seconds: float = 0.0  # of prompt and generation, the decodes this job was in
    draft_tokens: int = 0  # speculative decoding: tokens drafted for this job
    accepted_tokens: int = 0  # and how many of them the model wrote

    @property
    def evaluated_tokens(self) -> int:
        """Prompt tokens the model actually computed (the rest came from the KV cache)."""
        return self.prompt_tokens - self.cached_tokens


@dataclass(frozen=True)
class Delta:
    """New text from a job; the final delta has ``finish`` and ``usage`` set.

    A final delta with ``error`` set means the job failed; :class:`DeltaStream` raises it.
    """

    text: str
    finish: FinishReason | None = None
    usage: Usage | None = None
    error: CodefillError | None = None


@dataclass(frozen=True)
class ModelInfo:
    """What the layers above need to know about a loaded model."""

    name: str
    path: str
    context_length: int
    size_bytes: int = 0
    family: str = ""
    parameter_size: str = ""
    quantization: str = ""
    chat_template: str = ""
    bos_text: str = ""
    eos_text: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EngineHealth:
    """How an engine is doing, for ``/health``, ``/api/ps`` and ``/metrics``.

    ``state`` is ``ready``, ``restarting`` (its worker died and a new one is starting) or
    ``failed`` (the last restart could not load the model). ``crashes`` and ``restarts``
    count by cause (a signal's name, ``exit N``, ``watchdog``). ``notes`` are facts an
    operator should see, such as a configuration chosen to avoid a crash.
    """

    state: str = "ready"
    pid: int | None = None
    crashes: dict[str, int] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    notes: dict[str, str | bool] = field(default_factory=dict)


class DeltaStream:
    """The deltas of one job, fed from any thread, read by one asyncio task.

    Iterate it to the final delta, or close it early with :meth:`aclose`, which calls
    ``on_abandon`` so the engine frees the job. A failed job raises its error when read.
    """

    def __init__(self, on_abandon: Callable[[], None]) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Delta] = asyncio.Queue()
        self._on_abandon = on_abandon
        self.finished = False

    def put(self, delta: Delta) -> None:
        """Thread-safe: hand a delta to the reading task."""
        with contextlib.suppress(RuntimeError):  # the loop is gone; nobody is reading
            self._loop.call_soon_threadsafe(self._queue.put_nowait, delta)

    def __aiter__(self) -> DeltaStream:
        return self

    async def __anext__(self) -> Delta:
        if self.finished:
            raise StopAsyncIteration
        delta = await self._queue.get()
        if delta.finish is not None:
            self.finished = True
        if delta.error is not None:
            raise delta.error
        return delta

    async def aclose(self) -> None:
        if not self.finished:
            self.finished = True
            self._on_abandon()


def check_prompt(job: Job, context: int) -> None:
    """Refuse a job whose prompt is empty or leaves no room in a ``context`` of tokens."""
    if not job.tokens:
        raise BadRequest("the prompt is empty after templating", param="prompt")
    if len(job.tokens) >= context:
        raise ContextOverflow(
            f"the prompt has {len(job.tokens)} tokens; the context holds {context}",
            param="prompt",
        )


class Engine(ABC):
    """A loaded model that generates. One instance per loaded model.

    Contract: ``generate`` may be called from many tasks at once, from the event loop. It
    queues the job at once (so overload is reported before any byte is sent) and returns a
    :class:`DeltaStream` that yields deltas until one with ``finish`` set. A caller that stops
    early (the client went away) calls ``aclose`` on the stream, which aborts the job and
    frees its slot. ``abort(job_id)`` ends a job from elsewhere (supersession): its stream
    then yields a final delta with ``FinishReason.CANCELLED``. ``close`` frees the model;
    call it only when no job is running. ``can_heal`` says whether it honours
    ``Job.retype`` (token healing); callers send no ``retype`` to one that does not.
    """

    info: ModelInfo
    tokenizer: Tokenizer
    can_heal: bool = False

    @abstractmethod
    def generate(self, job: Job) -> DeltaStream:
        """Queue the job and return its stream; raises ``Overloaded`` when the queue is full."""

    @abstractmethod
    def abort(self, job_id: str) -> None: ...

    def stats(self) -> dict[str, int]:
        """Load right now: jobs waiting for a slot and slots busy generating."""
        return {"queued": 0, "busy_slots": 0}

    def health(self) -> EngineHealth:
        return EngineHealth()

    @abstractmethod
    def close(self) -> None: ...
