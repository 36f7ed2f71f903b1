"""The engine loop: slots, continuous batching and KV reuse over one llama.cpp context.

One thread owns the context. Each :meth:`Scheduler.step` reads top to bottom: take new jobs
and aborts from the inbox, admit waiting jobs into free slots, build one batch (a token for
every generating job first, then a bounded chunk of pending prompt tokens), decode it, and
sample for every job whose logits came out. Jobs beyond the slots wait in a bounded queue;
a job with a ``hold`` waits there at least that long (a newer keystroke may abort it first).

A generating job's row may carry a draft (``engine/speculation.py``).
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable

from codefill.engine.backend import Backend
from codefill.engine.base import Delta, FinishReason, Job, Usage, check_prompt
from codefill.engine.healing import advance
from codefill.engine.placement import apply_plan, choose_slot, restore
from codefill.engine.slots import Batch, RunningJob, Sink, Slot, State
from codefill.engine.speculation import Speculation
from codefill.engine.stop_strings import StopMatcher
from codefill.errors import CodefillError, Overloaded, as_engine_error
from codefill.settings import Settings

__all__ = ["Scheduler"]

log = logging.getLogger("codefill.scheduler")


class Scheduler:
    """Runs jobs on a backend from its own thread; ``submit`` and ``abort`` are thread-safe.

    ``config`` gives the slots, queue, prefill chunks and KV-reuse knobs (see ``Settings``);
    ``on_admit`` hears of each job that leaves the queue for a slot.
    """

    def __init__(
        self,
        backend: Backend,
        config: Settings,
        on_admit: Callable[[str], None] = lambda job_id: None,
    ) -> None:
        self._backend = backend
        self._on_admit = on_admit
        self._config = config
        self._slots = [Slot(seq=i, scratch=config.slots + i) for i in range(config.slots)]
        self._waiting: collections.deque[tuple[Job, Sink, float]] = collections.deque()
        self._speculation = Speculation(backend, config)
        self._aborts: set[str] = set()
        self._lock = threading.Condition()
        self._closing = False
        self.stepping_since: float | None = None  # when the step now running began
        self._thread = threading.Thread(target=self._run, name="codefill-engine", daemon=True)
        self._thread.start()

    # --- called from any thread ---------------------------------------------------------

    def submit(self, job: Job, sink: Sink) -> None:
        check_prompt(job, self._backend.seq_context)
        with self._lock:
            if self._closing:
                raise CodefillError("the model is being unloaded")
            if len(self._waiting) >= self._config.max_queue:
                raise Overloaded("the request queue is full; retry shortly", retry_after=1)
            self._waiting.append((job, sink, time.perf_counter()))
            self._lock.notify()

    def abort(self, job_id: str) -> None:
        with self._lock:
            self._aborts.add(job_id)
            self._lock.notify()

    def stats(self) -> dict[str, int]:
        with self._lock:
            busy = sum(1 for slot in self._slots if slot.active is not None)
            return {"queued": len(self._waiting), "busy_slots": busy}

    def close(self) -> None:
        with self._lock:
            self._closing = True
            self._lock.notify()
        self._thread.join()

    # --- the engine thread --------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._closing:
                    idle = self._idle_for(time.perf_counter())
                    if idle == 0.0:
                        break
                    self._lock.wait(idle)
                if self._closing:
                    break
            self.stepping_since = time.monotonic()
            try:
                self.step()
            except Exception as error:  # last resort: fail the jobs in flight, keep serving
                log.exception("engine step failed")
                for slot in self._slots:
                    if slot.active is not None:
                        self._finish(slot, FinishReason.STOP, as_engine_error(error))
                        self._forget(slot)
            self.stepping_since = None
        self._shutdown()

    def _idle_for(self, now: float) -> float | None:
        """0 when there is work now; else how long until a held job is due (None: no job)."""
        if self._aborts or any(s.active for s in self._slots):
            return 0.0
        due = [submitted + job.hold for job, _sink, submitted in self._waiting]
        if not due:
            return None
        return max(min(due) - now, 0.0)

    def step(self) -> None:
        self._apply_aborts()
        self._admit()
        batch = self._build_batch()
        if batch.tokens:
            started = time.perf_counter()
            self._backend.decode(batch.tokens, batch.positions, batch.seqs, batch.logits)
            spent = time.perf_counter() - started
            for slot in {id(slot): slot for slot in batch.slots}.values():
                if slot.active is not None:
                    slot.active.decode_seconds += spent
        self._update(batch)

    def _apply_aborts(self) -> None:
        with self._lock:
            aborts, self._aborts = self._aborts, set()
            kept: collections.deque[tuple[Job, Sink, float]] = collections.deque()
            dropped: list[tuple[Job, Sink, float]] = []
            for item in self._waiting:
                (dropped if item[0].id in aborts else kept).append(item)
            self._waiting = kept
        for _job, sink, submitted in dropped:
            waited = time.perf_counter() - submitted
            sink(Delta("", FinishReason.CANCELLED, Usage(queue_seconds=waited)))
        for slot in self._slots:
            if slot.active is not None and slot.active.job.id in aborts:
                self._settle(slot)
                self._finish(slot, FinishReason.CANCELLED)

    def _settle(self, slot: Slot) -> None:
        """Before giving up a job still in its prompt, put its parked chunks back in place.

        A keystroke that supersedes this job usually wants nearly the same prompt; leaving
        the moved chunks in the slot's cache (after decoding the few tokens in front of
        them) lets it reuse them instead of computing the rest of the file again. Skipped
        when that would take more than a couple of small steps.
        """
        active = slot.active
        if active is None or not active.held:
            return
        gaps = sum(start for start, _ in active.held) - sum(end for _, end in active.held[:-1])
        if gaps - active.next_pos > 2 * self._config.prefill_chunk_alone:
            return
        while active.held:
            stop_at = active.held[0][0]
            while active.next_pos < stop_at:
                take = min(self._backend.n_batch, stop_at - active.next_pos)
                first = active.next_pos
                tokens = list(active.prompt[first : first + take])
                positions = list(range(first, first + take))
                self._backend.decode(tokens, positions, [slot.seq] * take, [False] * take)
                slot.cached.extend(tokens)
                active.next_pos += take
            restore(self._backend, slot)

    def _admit(self) -> None:
        while True:
            free = [slot for slot in self._slots if slot.active is None]
            if not free:
                return
            with self._lock:
                item = self._next_due(time.perf_counter())
            if item is None:
                return
            job, sink, submitted = item
            try:
                self._start(job, sink, submitted, free)
                self._on_admit(job.id)
            except Exception as error:
                log.exception("could not start job %s", job.id)
                sink(Delta("", FinishReason.STOP, Usage(), error=as_engine_error(error)))

    def _next_due(self, now: float) -> tuple[Job, Sink, float] | None:
        """Take the oldest waiting job whose hold is over (call with the lock held)."""
        for index, item in enumerate(self._waiting):
            job, _sink, submitted = item
            if submitted + job.hold <= now:
                del self._waiting[index]
                return item
        return None

    def _start(self, job: Job, sink: Sink, submitted: float, free: list[Slot]) -> None:
        slot, plan = choose_slot(job.tokens, free, self._config, self._backend.can_shift)
        held = apply_plan(self._backend, slot, plan)
        sampler = self._backend.new_sampler(job.sampling)
        active = RunningJob(
            job=job,
            sink=sink,
            submitted=submitted,
            sampler=sampler,
            prompt=job.tokens,
            next_pos=len(slot.cached),
            held=held,
            cached_tokens=plan.reused,
            started=time.perf_counter(),
            stops=StopMatcher(job.sampling.stop),
            retype=job.retype,
        )
        slot.active = active
        if active.held and active.held[0][0] == active.next_pos:
            restore(self._backend, slot)
        self._trim_idle()

    def _trim_idle(self) -> None:
        """Forget the least recently used idle slots' caches past ``idle_cache_tokens``:
        every decode's attention scans all used cells of the shared cache, idle or not."""
        idle = [slot for slot in self._slots if slot.active is None and slot.cached]
        idle.sort(key=lambda slot: slot.last_used)
        total = sum(len(slot.cached) for slot in idle)
        for slot in idle:
            if total <= self._config.idle_cache_tokens:
                return
            total -= len(slot.cached)
            self._forget(slot)

    def _build_batch(self) -> Batch:
        batch = Batch()
        generating = [s for s in self._slots if s.active and s.active.state is State.GENERATING]
        for slot in generating:
            assert slot.active is not None
            batch.add(slot.active.last_token, len(slot.cached), slot.seq, True, slot)
        for row, slot in zip(list(batch.sampled), generating, strict=True):
            draft = self._speculation.draft(slot, self._backend.n_batch - len(batch.tokens))
            if draft:  # after every job's own row, as room allows
                batch.add_draft(row, draft, len(slot.cached) + 1, slot.seq, slot)
        room = self._backend.n_batch - len(batch.tokens)
        chunk = self._config.prefill_chunk if generating else self._config.prefill_chunk_alone
        room = min(room, chunk)
        prompting = [s for s in self._slots if s.active and s.active.state is State.PROMPT]
        prompting.sort(key=lambda s: s.active.submitted if s.active else 0.0)
        for slot in prompting:
            active = slot.active
            assert active is not None
            stop_at = active.held[0][0] if active.held else len(active.prompt)
            take = min(room, stop_at - active.next_pos)
            if take <= 0:
                continue
            first = active.next_pos
            for offset in range(take):
                position = first + offset
                is_last = position == len(active.prompt) - 1
                batch.add(active.prompt[position], position, slot.seq, is_last, slot)
            active.next_pos += take
            room -= take
            if room <= 0:
                break
        return batch

    def _update(self, batch: Batch) -> None:
        now = time.perf_counter()
        in_drafts = batch.draft_rows()
        for index, slot in enumerate(batch.slots):
            if index not in in_drafts:
                slot.cached.append(batch.tokens[index])
        for index in batch.sampled:
            slot = batch.slots[index]
            active = slot.active
            if active is None:
                continue
            if active.state is State.PROMPT:
                active.state = State.GENERATING
                active.prompt_done = now
            try:
                drafted = batch.drafts.get(index)
                if drafted:
                    rows = [index, *drafted[1]]
                    self._speculation.verify(slot, rows, drafted[0], self._sample, self._accept)
                else:
                    self._accept(slot, self._sample(active, index))
            except Exception as error:  # one request's sampling failing fails it alone
                log.exception("sampling failed for job %s", active.job.id)
                if slot.active is active:
                    self._finish(slot, FinishReason.STOP, as_engine_error(error))
        for slot in self._slots:
            active = slot.active
            if active and active.held and active.next_pos == active.held[0][0]:
                restore(self._backend, slot)

    def _sample(self, active: RunningJob, index: int) -> int:
        if active.retype:  # token healing: constrained until the backed-off bytes are back
            return self._backend.sample(active.sampler, index, active.retype)
        return self._backend.sample(active.sampler, index)

    def _accept(self, slot: Slot, token: int) -> None:
        active = slot.active
        assert active is not None
        active.generated += 1
        if self._backend.is_end(token):
            self._finish(slot, FinishReason.STOP)
            return
        active.last_token = token
        active.output.append(token)
        if active.drafter is not None:
            active.drafter.push(token)
        data = self._backend.piece(token)
        if active.retype:
            active.retype, data = advance(active.retype, data)
            active.retyped += 0 if data else 1
        text = active.stops.feed(active.decoder.decode(data))
        if active.stops.stopped:
            if text:
                active.sink(Delta(text))
            self._finish(slot, FinishReason.STOP)
            return
        if text:
            active.sink(Delta(text))
        sampling = active.job.sampling
        out_of_room = len(slot.cached) + 1 >= self._backend.seq_context
        out_of_time = sampling.out_of_time(time.perf_counter() - active.prompt_done, data)
        produced = active.generated - active.retyped
        if produced >= sampling.max_tokens or out_of_room or out_of_time:
            self._finish(slot, FinishReason.LENGTH)

    def _forget(self, slot: Slot) -> None:
        """Drop a slot's cache: a failed decode left it unknown, or idle caches grew."""
        self._backend.kv_remove(slot.seq, -1, -1)
        self._backend.kv_remove(slot.scratch, -1, -1)
        slot.cached.clear()
        slot.drift = 0

    def _finish(self, slot: Slot, reason: FinishReason, error: CodefillError | None = None) -> None:
        active = slot.active
        assert active is not None
        tail = "" if active.stops.stopped else active.stops.feed(active.decoder.decode(b"", True))
        tail += active.stops.flush()
        if active.held:
            self._backend.kv_remove(slot.scratch, -1, -1)
        active.sampler.free()
        now = time.perf_counter()
        prompt_done = active.prompt_done or now
        usage = Usage(  # healing: backed-off tokens count as prompt, re-typing as neither
            prompt_tokens=len(active.prompt) + active.job.backed_off,
            cached_tokens=active.cached_tokens,
            completion_tokens=active.generated - active.retyped,
            queue_seconds=active.started - active.submitted,
            prompt_seconds=prompt_done - active.started,
            generation_seconds=now - prompt_done if active.prompt_done else 0.0,
            decode_seconds=active.decode_seconds,
            draft_tokens=active.drafted,
            accepted_tokens=active.accepted,
        )
        self._speculation.remember(active)
        slot.active = None
        slot.last_used = now
        self._trim_idle()
        active.sink(Delta(tail, reason, usage, error))

    def _shutdown(self) -> None:
        for slot in self._slots:
            if slot.active is not None:
                self._finish(slot, FinishReason.CANCELLED)
        with self._lock:
            waiting, self._waiting = self._waiting, collections.deque()
        for _job, sink, _submitted in waiting:
            sink(Delta("", FinishReason.CANCELLED, Usage()))
