"""What the scheduler keeps per slot and per running job, and the batch it builds."""

from __future__ import annotations

import codecs
import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from codefill.engine.backend import SamplerHandle
from codefill.engine.base import Delta, Job
from codefill.engine.drafts import Drafter
from codefill.engine.stop_strings import StopMatcher

__all__ = ["Batch", "RunningJob", "Sink", "Slot", "State"]

Sink = Callable[[Delta], None]


class State(enum.Enum):
    PROMPT = "prompt"
    GENERATING = "generating"


@dataclass
class RunningJob:
    """A job in a slot; mutated only by the engine thread."""

    job: Job
    sink: Sink
    submitted: float
    sampler: SamplerHandle
    prompt: tuple[int, ...]
    next_pos: int
    held: list[tuple[int, int]]  # prompt ranges [start, end) waiting in the scratch seq
    cached_tokens: int
    state: State = State.PROMPT
    started: float = 0.0
    prompt_done: float = 0.0
    last_token: int = -1
    generated: int = 0
    retype: bytes = b""  # token healing: bytes the next tokens must write again, unshown
    retyped: int = 0  # tokens that only re-typed; they do not count against max_tokens
    decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")("replace")
    )
    stops: StopMatcher = field(default_factory=lambda: StopMatcher(()))
    output: list[int] = field(default_factory=list)  # the tokens written, for later drafts
    drafter: Drafter | None = None  # speculative decoding's index, once generating
    draft_length: int = 8  # the next draft's length (drafts.next_length)
    alone: bool = False  # decode the next token without a draft (a close call to settle)
    drafted: int = 0
    accepted: int = 0
    decode_seconds: float = 0.0


@dataclass
class Slot:
    seq: int
    scratch: int
    cached: list[int] = field(default_factory=list)
    last_used: float = 0.0
    drift: int = 0
    active: RunningJob | None = None


@dataclass
class Batch:
    tokens: list[int] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    logits: list[bool] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    sampled: list[int] = field(default_factory=list)
    # a job's sampled row -> its draft and the rows holding the drafted tokens
    drafts: dict[int, tuple[list[int], list[int]]] = field(default_factory=dict)

    def add(self, token: int, position: int, seq: int, logits: bool, slot: Slot) -> None:
        if logits:
            self.sampled.append(len(self.tokens))
        self.tokens.append(token)
        self.positions.append(position)
        self.seqs.append(seq)
        self.logits.append(logits)
        self.slots.append(slot)

    def add_draft(self, row: int, draft: list[int], position: int, seq: int, slot: Slot) -> None:
        """Drafted tokens to follow the job sampled at ``row``, each with its logits."""
        rows = []
        for offset, token in enumerate(draft):
            rows.append(len(self.tokens))
            self.add(token, position + offset, seq, False, slot)
            self.logits[-1] = True
        self.drafts[row] = (draft, rows)

    def draft_rows(self) -> set[int]:
        """Rows holding drafted tokens: in no slot's cache until verified."""
        return {row for _, rows in self.drafts.values() for row in rows}
