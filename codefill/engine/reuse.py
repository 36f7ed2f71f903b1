"""Plan how much of a slot's KV cache a new prompt can keep. Pure functions, no llama.cpp.

Two kinds of reuse, as llama.cpp's server does with ``cache_prompt`` and ``--cache-reuse``:

* the longest common prefix of the cached tokens and the prompt is kept as it is;
* after it, chunks of at least ``min_chunk`` tokens that appear in the cache at another
  position (the code after the cursor when the user typed or deleted before it, or both
  sides of a line when the cursor jumped elsewhere in the file) are moved to their new
  positions with a KV shift instead of being computed again.

llama.cpp only accepts new tokens at the end of a sequence, so moved chunks wait in a
scratch sequence while the tokens before each of them are decoded, then are copied back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ReusePlan", "common_prefix", "plan_reuse"]

_ANCHOR = 8  # tokens hashed to find candidate chunks; chunks must be at least this long


@dataclass(frozen=True)
class ReusePlan:
    """``keep`` cached tokens stay; each chunk ``(old_start, new_start, length)`` moves.

    Chunks are in prompt order and overlap neither in the cache nor in the prompt.
    """

    keep: int
    chunks: tuple[tuple[int, int, int], ...] = ()
    changed: int = 0  # tokens inserted or removed in front of the last moved chunk

    @property
    def reused(self) -> int:
        return self.keep + sum(length for _, _, length in self.chunks)


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    limit = min(len(a), len(b))
    index = 0
    while index < limit and a[index] == b[index]:
        index += 1
    return index


def plan_reuse(
    cached: Sequence[int],
    prompt: Sequence[int],
    *,
    min_chunk: int,
    can_shift: bool,
    margin: int = 0,
) -> ReusePlan:
    """The reuse plan for ``prompt`` on a slot holding ``cached``.

    The last prompt token is never reused: its logits are needed to sample from.
    ``min_chunk <= 0`` turns chunk moving off; a model that cannot shift keeps only
    chunks that did not move; the first ``margin`` tokens of each chunk are recomputed.
    """
    last = len(prompt) - 1
    keep = min(common_prefix(cached, prompt), max(last, 0))
    shortest = max(min_chunk, _ANCHOR)
    if min_chunk <= 0 or last - keep < shortest:
        return ReusePlan(keep)
    chunks = [
        chunk
        for chunk in _chunks(cached, prompt, keep, last, shortest)
        if can_shift or chunk[0] == chunk[1]
    ]
    # the first tokens of a moved chunk lean hardest on the text that changed just before
    # them, so they are computed again: measured on the coder model, a 16-32 token margin
    # brought a greedy answer after an edit back in line with a fresh computation
    trimmed = [
        (old + margin, new + margin, length - margin)
        for old, new, length in chunks
        if length - margin >= shortest
    ]
    return ReusePlan(keep, tuple(trimmed), _changed(keep, chunks))


def _changed(keep: int, chunks: list[tuple[int, int, int]]) -> int:
    if not chunks:
        return 0
    old, new, length = chunks[-1]
    moved = sum(size for _, _, size in chunks)
    return (old + length - keep - moved) + (new + length - keep - moved)


def _chunks(
    cached: Sequence[int], prompt: Sequence[int], keep: int, last: int, shortest: int
) -> list[tuple[int, int, int]]:
    """Runs ``prompt[p:p+n] == cached[c:c+n]`` (``p, c >= keep``, ``p+n <= last``), taken left to
    right, each the longest at its place, none reusing a cached token twice."""
    anchors: dict[tuple[int, ...], list[int]] = {}
    for start in range(keep, len(cached) - _ANCHOR + 1):
        anchors.setdefault(tuple(cached[start : start + _ANCHOR]), []).append(start)
    used: list[tuple[int, int]] = []
    chunks: list[tuple[int, int, int]] = []
    position = keep
    while position + _ANCHOR <= last:
        length, old = 0, 0
        for start in anchors.get(tuple(prompt[position : position + _ANCHOR]), ()):
            if any(a < start + _ANCHOR and start < b for a, b in used):
                continue
            size = _run(cached, start, prompt, position, last, used)
            if size > length:
                length, old = size, start
        if length >= shortest:
            chunks.append((old, position, length))
            used.append((old, old + length))
            position += length
        else:
            position += 1
    return chunks


def _run(
    cached: Sequence[int],
    start: int,
    prompt: Sequence[int],
    position: int,
    end: int,
    used: list[tuple[int, int]],
) -> int:
    limit = min(len(cached) - start, end - position)
    for a, _b in used:  # stop before a cached token another chunk already takes
        if a >= start:
            limit = min(limit, a - start)
    size = 0
    while size < limit and cached[start + size] == prompt[position + size]:
        size += 1
    return size
