"""Typing bursts: hold a keystroke's completion briefly when the next key is likely to come.

Editors without debounce (llama.vim, many Neovim plugins) send a completion request per
keystroke and drop the one before. The engine runs one step at a time, and a request that
starts at once ties it up for a step (a KV shift and a few tokens: about 0.4 s on two
cores) that the next key then waits for. So when the same client asked for the same place
a moment ago, the new request is held for 1.5 times that gap, at most ``max_hold``: if the
next key comes in the meantime, the held request is aborted before it costs a step, and
the last key of a burst pays only its own hold. A request that came later than
``max_hold`` after the one before is never held, and neither is one for another place
(distinct concurrent requests from one process are served at once).
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

__all__ = ["TypingBursts", "same_place"]

_CLIENTS = 1024  # clients remembered (the least recently seen are forgotten)
_TYPED = 32  # characters typed or deleted since the last request that still count as typing
_ANCHOR = 64  # characters before those that must still be there
_SUFFIX = 64  # characters after the cursor that must not have changed


@dataclass(frozen=True)
class _Request:
    at: float
    prefix: str
    suffix: str


def same_place(old_prefix: str, old_suffix: str, prefix: str, suffix: str) -> bool:
    """Whether a request is the same cursor a few characters on or back (typing, deleting).

    Long prefixes may be windows that slide with the cursor, so only their ends are compared:
    the text before the old cursor's last ``_TYPED / 2`` characters must appear near the end of
    the new prefix. A short one must be the new one's start.
    """
    if old_suffix[:_SUFFIX] != suffix[:_SUFFIX]:
        return False
    keep = max(len(old_prefix) - _TYPED // 2, 0)
    if keep <= _ANCHOR:
        near = abs(len(prefix) - len(old_prefix)) <= _TYPED
        return near and prefix[:keep] == old_prefix[:keep]
    anchor = old_prefix[keep - _ANCHOR : keep]
    return anchor in prefix[-(len(anchor) + _TYPED) :]


class TypingBursts:
    """Each client's latest completion request, and the hold a new one gets."""

    def __init__(self, max_hold: float) -> None:
        self._max_hold = max_hold
        self._last: collections.OrderedDict[str, _Request] = collections.OrderedDict()

    def hold(self, client: str, prefix: str, suffix: str, now: float) -> float:
        """Seconds to hold this request; remembers it as the client's latest."""
        last = self._last.pop(client, None)
        self._last[client] = _Request(now, prefix, suffix)
        if len(self._last) > _CLIENTS:
            self._last.popitem(last=False)
        if last is None or self._max_hold <= 0:
            return 0.0
        gap = now - last.at
        if gap > self._max_hold or not same_place(last.prefix, last.suffix, prefix, suffix):
            return 0.0
        return min(self._max_hold, 1.5 * gap)
