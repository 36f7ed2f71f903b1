"""What the scheduler needs from a model: batched decode, sampling, tokens and KV edits.

:class:`~codefill.engine.llama_cpp.LlamaBackend` is the real one; tests may supply others.
"""

from __future__ import annotations

from typing import Protocol

from codefill.engine.base import SamplingParams

__all__ = ["Backend", "SamplerHandle"]


class Backend(Protocol):
    """What the scheduler needs from a model; :class:`LlamaBackend` is the real one."""

    n_batch: int
    seq_context: int
    can_shift: bool

    def decode(
        self, tokens: list[int], positions: list[int], seqs: list[int], logits: list[bool]
    ) -> None: ...

    def new_sampler(self, params: SamplingParams) -> SamplerHandle: ...

    def sample(self, sampler: SamplerHandle, index: int, retype: bytes = b"") -> int:
        """Sample from the logits of batch row ``index``; with ``retype``, only a token
        that starts with those bytes or is a prefix of them (token healing)."""
        ...

    def margin(self, index: int) -> float:
        """How far the best logit of batch row ``index`` is ahead of the second best."""
        ...

    def piece(self, token: int) -> bytes: ...

    def is_end(self, token: int) -> bool: ...

    def kv_remove(self, seq: int, start: int, end: int = -1) -> None: ...

    def kv_copy(self, source: int, target: int, start: int, end: int) -> None: ...

    def kv_shift(self, seq: int, start: int, end: int, delta: int) -> None: ...


class SamplerHandle(Protocol):
    def free(self) -> None: ...
