"""Where a job's prompt goes in the KV cache: which slot, and how its cache is rearranged.

The planning is ``engine/reuse.py`` (pure); this applies a plan to a slot's sequences on
the backend: the kept prefix stays, moved chunks wait in the slot's scratch sequence at
their new positions, and come back once the tokens before them exist.
"""

from __future__ import annotations

from codefill.engine.backend import Backend
from codefill.engine.reuse import ReusePlan, plan_reuse
from codefill.engine.slots import Slot
from codefill.settings import Settings

__all__ = ["apply_plan", "choose_slot", "restore"]

# Where moved chunks wait between their two shifts: past any real position (llama.cpp
# adds the two shifts up before the next decode, so only the net move is applied).
_PARKED = 1 << 28


def choose_slot(
    prompt: tuple[int, ...], free: list[Slot], config: Settings, can_shift: bool
) -> tuple[Slot, ReusePlan]:
    """The free slot that reuses most of its cache for ``prompt`` (ties: least recently
    used), and its plan."""
    best: tuple[int, float] | None = None
    choice: tuple[Slot, ReusePlan] | None = None
    for slot in free:
        plan = plan_reuse(
            slot.cached,
            prompt,
            min_chunk=config.reuse_min_chunk,
            can_shift=can_shift,
            margin=config.reuse_margin,
        )
        if plan.chunks and slot.drift + plan.changed > config.reuse_max_drift:
            plan = ReusePlan(plan.keep)
        score = (plan.reused, -slot.last_used)
        if best is None or score > best:
            best, choice = score, (slot, plan)
    assert choice is not None
    return choice


def apply_plan(backend: Backend, slot: Slot, plan: ReusePlan) -> list[tuple[int, int]]:
    """Trim the slot's sequence to ``plan.keep`` and park the moved chunks, shifted to
    their new positions, in the scratch sequence (far away first, so that no chunk's
    move can catch another chunk's cells); the prompt ranges that wait there."""
    backend.kv_remove(slot.scratch, -1, -1)
    for old, _new, length in plan.chunks:
        backend.kv_copy(slot.seq, slot.scratch, old, old + length)
    backend.kv_remove(slot.seq, plan.keep, -1)
    for old, _new, length in plan.chunks:
        backend.kv_shift(slot.scratch, old, old + length, _PARKED)
    for old, new, length in plan.chunks:
        backend.kv_shift(slot.scratch, _PARKED + old, _PARKED + old + length, new - old - _PARKED)
    slot.drift = slot.drift + plan.changed if plan.chunks else 0
    del slot.cached[plan.keep :]
    return [(new, new + length) for _old, new, length in plan.chunks]


def restore(backend: Backend, slot: Slot) -> None:
    """Copy parked chunks back once the tokens before them exist in the sequence."""
    active = slot.active
    assert active is not None
    while active.held and active.held[0][0] == active.next_pos:
        start, end = active.held.pop(0)
        backend.kv_copy(slot.scratch, slot.seq, start, end)
        slot.cached.extend(active.prompt[start:end])
        active.next_pos = end
    if not active.held:
        backend.kv_remove(slot.scratch, -1, -1)
