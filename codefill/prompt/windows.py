"""Windows of whole lines: a client's window of characters, trimmed to line boundaries.

A client that sends the last N characters before the cursor (and the first M after it)
moves the start of its prompt with every key. Then no cached prompt shares a start with the
new one, the KV cache's prefix reuse finds nothing, and every keystroke moves the whole
prefix in the cache, whose moved chunks drift from a fresh computation until they are
computed again (``engine/reuse.py``). Dropping the window's first, partial line keeps the
prompt's start where it was until the window's start crosses a newline, so the cached
prompt is a common prefix up to the cursor. The suffix's last partial line goes the same
way. Only long windows are trimmed (a short prefix is likely the top of its file, whose
first line matters), and only a line shorter than :data:`LONGEST_CUT` characters.
"""

from __future__ import annotations

__all__ = ["LONGEST_CUT", "MIN_CHARS", "MIN_SUFFIX_CHARS", "whole_lines"]

MIN_CHARS = 1024  # a prefix shorter than this is left as it is
MIN_SUFFIX_CHARS = 256  # and a suffix shorter than this
LONGEST_CUT = 240  # a partial line longer than this is kept (a minified file, say)


def whole_lines(prefix: str, suffix: str) -> tuple[str, str]:
    """``prefix`` without its first line and ``suffix`` without its last, where long."""
    if len(prefix) >= MIN_CHARS:
        newline = prefix.find("\n", 0, LONGEST_CUT)
        if newline >= 0:
            prefix = prefix[newline + 1 :]
    if len(suffix) >= MIN_SUFFIX_CHARS:
        newline = suffix.rfind("\n", len(suffix) - LONGEST_CUT)
        if newline >= 0:
            suffix = suffix[: newline + 1]
    return prefix, suffix
