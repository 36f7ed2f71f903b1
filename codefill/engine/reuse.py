"""Plan how much of a slot's KV cache a new prompt can keep. Pure functions, no llama.cpp.

Two kinds of reuse, as llama.cpp's server does with ``cache_prompt`` and ``--cache-reuse``:

* the longest common prefix of the cached tokens and the prompt is kept as it is;
* after it, one chunk of at least ``min_chunk`` tokens that appears in the cache but at
  another position (the code after the cursor when the user typed or deleted before it)
  is moved to its new position with a KV shift instead of being computed again.

llama.cpp only accepts new tokens at the end of a sequence, so a chunk that moves right
waits in a scratch sequence while the tokens before it are decoded, then is copied back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ReusePlan", "common_prefix", "plan_reuse"]

_ANCHOR = 8  # tokens hashed to find candidate chunks; chunks must be at least this long


@dataclass(frozen=True)
class ReusePlan:
    """``keep`` cached tokens stay; ``chunk`` = (old_start, new_start, length) moves."""

    keep: int
    chunk: tuple[int, int, int] | None = None

    @property
    def reused(self) -> int:
        return self.keep + (self.chunk[2] if self.chunk else 0)


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    limit = min(len(a), len(b))
    index = 0
    while index < limit and a[index] == b[index]:
        index += 1
    return index


def plan_reuse(
    cached: Sequence[int], prompt: Sequence[int], *, min_chunk: int, can_shift: bool
) -> ReusePlan:
    """The reuse plan for ``prompt`` on a slot holding ``cached``.

    The last prompt token is never reused: its logits are needed to sample from.
    ``min_chunk <= 0`` turns chunk moving off.
    """
    last = len(prompt) - 1
    keep = min(common_prefix(cached, prompt), max(last, 0))
    if min_chunk <= 0 or last - keep < max(min_chunk, _ANCHOR):
        return ReusePlan(keep)
    chunk = _longest_chunk(cached, prompt, keep, last)
    if chunk is None or chunk[2] < max(min_chunk, _ANCHOR):
        return ReusePlan(keep)
    if chunk[0] != chunk[1] and not can_shift:
        return ReusePlan(keep)
    return ReusePlan(keep, chunk)


def _longest_chunk(
    cached: Sequence[int], prompt: Sequence[int], keep: int, last: int
) -> tuple[int, int, int] | None:
    """Longest run ``prompt[p:p+n] == cached[c:c+n]`` with ``p, c >= keep`` and ``p+n <= last``."""
    anchors: dict[tuple[int, ...], list[int]] = {}
    for start in range(keep, len(cached) - _ANCHOR + 1):
        anchors.setdefault(tuple(cached[start : start + _ANCHOR]), []).append(start)
    best: tuple[int, int, int] | None = None
    position = keep
    while position + _ANCHOR <= last:
        starts = anchors.get(tuple(prompt[position : position + _ANCHOR]))
        if not starts:
            position += 1
            continue
        length, old = 0, starts[0]
        for start in starts:
            size = _run(cached, start, prompt, position, last)
            if size > length:
                length, old = size, start
        if best is None or length > best[2]:
            best = (old, position, length)
        position += max(length, 1)
    return best


def _run(cached: Sequence[int], start: int, prompt: Sequence[int], position: int, end: int) -> int:
    size = 0
    limit = min(len(cached) - start, end - position)
    while size < limit and cached[start + size] == prompt[position + size]:
        size += 1
    return size
