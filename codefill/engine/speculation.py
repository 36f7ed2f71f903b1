"""Speculative decoding for the scheduler: a draft per generating job, and its verification.

A generating job's row in a batch may be followed by a draft: tokens looked up in what the
job has seen (``engine/drafts.py``), decoded in the same batch with their logits. The job
then samples row by row and keeps the drafted tokens its own sampling agrees with; the
cache cells of the rest are dropped. The scheduler owns the slots and the batch; this
module decides what to draft and what to keep.
"""

from __future__ import annotations

import collections
from collections.abc import Callable

from codefill.engine.backend import Backend
from codefill.engine.drafts import Drafter, next_length
from codefill.engine.slots import RunningJob, Slot
from codefill.settings import Settings

__all__ = ["Speculation"]


class Speculation:
    """Drafts and their verification, with each session's latest completions to draft from."""

    def __init__(self, backend: Backend, config: Settings) -> None:
        self._backend = backend
        self._config = config
        self._written: collections.OrderedDict[str | None, collections.deque[list[int]]] = (
            collections.OrderedDict()
        )

    def draft(self, slot: Slot, room: int) -> list[int]:
        """The tokens to verify after this job's next one: none while token healing
        constrains the next tokens, and never past the job's tokens or its context."""
        active = slot.active
        assert active is not None
        config = self._config
        if not config.speculative or active.retype or active.alone:
            active.alone = False
            return []
        if active.drafted >= config.draft_patience and active.accepted * 2 < active.drafted:
            return []  # this text does not repeat its context: plain decoding is cheaper
        if active.drafter is None:
            written = self._written.get(active.job.session, ())
            active.drafter = Drafter(config.draft_ngram, written, active.prompt)
            for token in active.output:
                active.drafter.push(token)
        left = active.job.sampling.max_tokens - (active.generated - active.retyped) - 1
        context = self._backend.seq_context - len(slot.cached) - 2
        draft = active.drafter.draft(min(active.draft_length, left, context, room))
        return draft if len(draft) >= config.draft_min else []

    def verify(
        self,
        slot: Slot,
        rows: list[int],
        draft: list[int],
        sample: Callable[[RunningJob, int], int],
        accept: Callable[[Slot, int], None],
    ) -> None:
        """Sample row by row while the job's own choice is the drafted token (whose row
        then holds the logits for the next one); drop the cache cells past what it kept.

        ``rows`` are the job's own row, then its drafted tokens' rows. A batch's rows come
        out a little different from one token decoded alone (other kernels, another order
        of sums: up to about 0.3 in a logit on the 0.5B coder), so a greedy choice closer
        than ``draft_margin`` is not taken from the batch: that token is decoded again
        alone, as plain decoding would.
        """
        active = slot.active
        assert active is not None
        config = self._config
        greedy = active.job.sampling.temperature <= 0
        taken = 0
        for offset in range(len(draft) + 1):
            if greedy and self._backend.margin(rows[offset]) < config.draft_margin:
                slot.cached.pop()  # this row's own token: decoded again, alone
                active.alone = True
                break
            token = sample(active, rows[offset])
            accept(slot, token)
            if slot.active is not active or offset == len(draft) or token != draft[offset]:
                break
            slot.cached.append(token)
            taken += 1
        self._backend.kv_remove(slot.seq, len(slot.cached), -1)
        active.drafted += len(draft)
        active.accepted += taken
        active.draft_length = next_length(
            active.draft_length, len(draft), taken, config.draft_max, config.draft_min
        )

    def remember(self, active: RunningJob) -> None:
        """Keep what this job wrote for the drafts of its session's next jobs."""
        if not self._config.speculative or not active.output:
            return
        session = active.job.session
        written = self._written.pop(session, None) or collections.deque(
            maxlen=self._config.draft_history
        )
        written.append(active.output)
        self._written[session] = written
        while len(self._written) > self._config.draft_sessions:
            self._written.popitem(last=False)
