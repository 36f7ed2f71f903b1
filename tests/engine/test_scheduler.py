"""The scheduler on a scripted backend: slots, batching, queueing, aborts, isolation, reuse."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest

from codefill.engine.base import Delta, FinishReason, Job, SamplingParams
from codefill.engine.scheduler import Scheduler
from codefill.errors import EngineError, Overloaded
from codefill.settings import Settings

END = 0


@dataclass
class FakeSampler:
    params: SamplingParams
    freed: bool = False

    def free(self) -> None:
        self.freed = True


@dataclass
class FakeBackend:
    """Decodes nothing; 'samples' letters a, b, c... and ends after ``length`` of them."""

    length: int = 5
    n_batch: int = 64
    seq_context: int = 512
    can_shift: bool = True
    delay: float = 0.0
    fail_for_temperature: float | None = None
    batches: list[list[tuple[int, int, int, bool]]] = field(default_factory=list)
    removed: list[tuple[int, int, int]] = field(default_factory=list)
    counts: dict[int, int] = field(default_factory=dict)
    _seq_of_index: dict[int, int] = field(default_factory=dict)

    def decode(
        self, tokens: list[int], positions: list[int], seqs: list[int], logits: list[bool]
    ) -> None:
        time.sleep(self.delay)
        self.batches.append(list(zip(tokens, positions, seqs, logits, strict=True)))
        self._seq_of_index = {i: seq for i, seq in enumerate(seqs)}

    def new_sampler(self, params: SamplingParams) -> FakeSampler:
        return FakeSampler(params)

    def sample(self, sampler: FakeSampler, index: int) -> int:  # type: ignore[override]
        if sampler.params.temperature == self.fail_for_temperature:
            raise RuntimeError("sampler exploded")
        seq = self._seq_of_index[index]
        count = self.counts.get(seq, 0) + 1
        self.counts[seq] = count
        return END if count > self.length else ord("a") + count - 1

    def piece(self, token: int) -> bytes:
        return chr(token).encode()

    def margin(self, index: int) -> float:
        return 10.0

    def is_end(self, token: int) -> bool:
        return token == END

    def kv_remove(self, seq: int, start: int, end: int = -1) -> None:
        self.removed.append((seq, start, end))
        if start <= 0:
            self.counts.pop(seq, None)

    def kv_copy(self, source: int, target: int, start: int, end: int) -> None:
        pass

    def kv_shift(self, seq: int, start: int, end: int, delta: int) -> None:
        pass


class Collector:
    def __init__(self) -> None:
        self.deltas: list[Delta] = []
        self.done = threading.Event()

    def __call__(self, delta: Delta) -> None:
        self.deltas.append(delta)
        if delta.finish is not None:
            self.done.set()

    @property
    def text(self) -> str:
        return "".join(delta.text for delta in self.deltas)

    @property
    def final(self) -> Delta:
        assert self.done.wait(10), "the job never finished"
        return self.deltas[-1]


def run(scheduler: Scheduler, *jobs: Job) -> list[Collector]:
    sinks = []
    for job in jobs:
        sink = Collector()
        scheduler.submit(job, sink)
        sinks.append(sink)
    for sink in sinks:
        sink.final  # noqa: B018 - waits
    return sinks


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


def make(backend: FakeBackend, **config: int) -> Scheduler:
    return Scheduler(backend, Settings.model_validate(config))


def test_jobs_share_batches_and_finish_with_usage(backend: FakeBackend) -> None:
    scheduler = make(backend, slots=2)
    first, second = run(scheduler, Job((1, 2, 3)), Job((4, 5)))
    scheduler.close()
    assert first.text == second.text == "abcde"
    assert first.final.finish is FinishReason.STOP
    usage = first.final.usage
    assert usage is not None and usage.prompt_tokens == 3 and usage.completion_tokens == 6
    # some step decoded a token for both jobs at once
    assert any(len({seq for _, _, seq, _ in batch}) == 2 for batch in backend.batches)


def test_long_prompts_are_chunked_while_others_generate() -> None:
    backend = FakeBackend(length=50, delay=0.002)
    # no drafts: the letters it writes are also prompt tokens, which would draft them
    scheduler = Scheduler(backend, Settings(slots=2, prefill_chunk=8, speculative=False))
    generating = Collector()
    scheduler.submit(Job((1,), SamplingParams(max_tokens=40)), generating)
    while not generating.deltas:
        time.sleep(0.001)
    long_prompt = Collector()
    scheduler.submit(Job(tuple(range(10, 110))), long_prompt)
    generating.final, long_prompt.final  # noqa: B018 - waits
    scheduler.close()
    mixed = [b for b in backend.batches if len({seq for _, _, seq, _ in b}) == 2]
    assert mixed and all(len(batch) <= 1 + 8 for batch in mixed)


def test_max_tokens_gives_length(backend: FakeBackend) -> None:
    scheduler = make(backend)
    (sink,) = run(scheduler, Job((1,), SamplingParams(max_tokens=2)))
    scheduler.close()
    assert sink.text == "ab" and sink.final.finish is FinishReason.LENGTH


def test_time_budget_gives_length() -> None:
    backend = FakeBackend(length=10_000, delay=0.01)
    scheduler = make(backend)
    (sink,) = run(scheduler, Job((1,), SamplingParams(max_tokens=10_000, time_budget=0.1)))
    scheduler.close()
    assert sink.final.finish is FinishReason.LENGTH and 1 <= len(sink.text) < 100


@dataclass
class LineBackend(FakeBackend):
    """Writes lines of six ``x`` and a newline."""

    def piece(self, token: int) -> bytes:
        return b"\n" if (token - ord("a") + 1) % 7 == 0 else b"x"


def test_a_client_budget_ends_only_on_a_newline() -> None:
    """llama.cpp's t_max_predict_ms: a budget already spent still ends at the line's end."""
    scheduler = make(LineBackend(length=10_000))
    (sink,) = run(scheduler, Job((1,), SamplingParams(max_tokens=50, line_budget=0.0)))
    scheduler.close()
    assert sink.text == "xxxxxx\n" and sink.final.finish is FinishReason.LENGTH


def test_a_client_budget_never_ends_inside_a_line() -> None:
    scheduler = make(FakeBackend(length=10_000))  # never writes a newline
    (sink,) = run(scheduler, Job((1,), SamplingParams(max_tokens=20, line_budget=0.0)))
    scheduler.close()
    assert len(sink.text) == 20 and sink.final.finish is FinishReason.LENGTH


def test_stop_strings_cut_the_text(backend: FakeBackend) -> None:
    scheduler = make(backend)
    (sink,) = run(scheduler, Job((1,), SamplingParams(stop=("cd",))))
    scheduler.close()
    assert sink.text == "ab" and sink.final.finish is FinishReason.STOP


def test_full_queue_is_refused() -> None:
    backend = FakeBackend(length=1000, delay=0.01)
    scheduler = make(backend, slots=1, max_queue=1)
    sinks = [Collector(), Collector()]
    scheduler.submit(Job((1,), SamplingParams(max_tokens=50)), sinks[0])
    time.sleep(0.05)
    scheduler.submit(Job((2,), SamplingParams(max_tokens=50)), sinks[1])
    with pytest.raises(Overloaded):
        scheduler.submit(Job((3,)), Collector())
    scheduler.close()


def test_abort_queued_and_running_jobs() -> None:
    backend = FakeBackend(length=1000, delay=0.005)
    scheduler = make(backend, slots=1)
    running, queued = Collector(), Collector()
    first, second = Job((1,), SamplingParams(max_tokens=500)), Job((2,))
    scheduler.submit(first, running)
    scheduler.submit(second, queued)
    scheduler.abort(second.id)
    assert queued.final.finish is FinishReason.CANCELLED and queued.text == ""
    while not running.deltas:
        time.sleep(0.001)
    scheduler.abort(first.id)
    assert running.final.finish is FinishReason.CANCELLED
    assert scheduler.stats() == {"queued": 0, "busy_slots": 0}
    scheduler.close()


def test_a_held_job_aborted_in_its_hold_never_reaches_the_engine(backend: FakeBackend) -> None:
    scheduler = make(backend)
    held, sink = Job((7, 8), hold=0.3), Collector()
    scheduler.submit(held, sink)
    time.sleep(0.05)
    scheduler.abort(held.id)
    assert sink.final.finish is FinishReason.CANCELLED and sink.text == ""
    assert backend.batches == []
    scheduler.close()


def test_a_held_job_starts_after_its_hold_while_others_run(backend: FakeBackend) -> None:
    scheduler = make(backend, slots=2)
    submitted = time.perf_counter()
    held, plain = run(scheduler, Job((7,), hold=0.2), Job((9,)))
    assert held.text == plain.text == "abcde"
    usage = held.final.usage
    assert usage is not None and usage.queue_seconds >= 0.2
    assert backend.batches[0] == [(9, 0, 0, True)]  # the unheld job went first
    assert time.perf_counter() - submitted >= 0.2
    scheduler.close()


def test_idle_slots_forget_their_caches_past_the_budget_oldest_first(
    backend: FakeBackend,
) -> None:
    scheduler = make(backend, slots=3, idle_cache_tokens=20)
    run(scheduler, Job(tuple(range(100, 110))))  # slot 0 keeps 10 prompt + 4 written tokens
    assert (0, -1, -1) not in backend.removed  # 14 idle tokens: within the budget
    run(scheduler, Job(tuple(range(200, 203))))  # slot 1: 7 more, 21 in all
    scheduler.close()
    assert (0, -1, -1) in backend.removed and (1, -1, -1) not in backend.removed


def test_a_sampling_crash_fails_only_that_job(backend: FakeBackend) -> None:
    backend.fail_for_temperature = 0.123
    scheduler = make(backend, slots=2)
    broken, healthy = Collector(), Collector()
    scheduler.submit(Job((1,), SamplingParams(temperature=0.123)), broken)
    scheduler.submit(Job((2,), SamplingParams(temperature=0.5)), healthy)
    assert isinstance(broken.final.error, EngineError)
    assert healthy.final.error is None and healthy.text == "abcde"
    scheduler.close()


def test_a_repeated_prompt_comes_from_the_cache(backend: FakeBackend) -> None:
    scheduler = make(backend, slots=1)
    run(scheduler, Job(tuple(range(1, 41))))
    (again,) = run(scheduler, Job(tuple(range(1, 41))))
    (other,) = run(scheduler, Job((*range(1, 21), 99)))
    scheduler.close()
    assert again.final.usage is not None and again.final.usage.cached_tokens == 39
    assert other.final.usage is not None and other.final.usage.cached_tokens == 20


def test_empty_and_oversized_prompts_are_refused(backend: FakeBackend) -> None:
    from codefill.errors import BadRequest, ContextOverflow

    scheduler = make(backend)
    with pytest.raises(BadRequest):
        scheduler.submit(Job(()), Collector())
    with pytest.raises(ContextOverflow):
        scheduler.submit(Job(tuple(range(600))), Collector())
    scheduler.close()
