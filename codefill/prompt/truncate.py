"""Fit a prefix and a suffix into a token budget, before templating.

Cutting an already-rendered prompt can cut its FIM markers (Tabby's ``clip_prompt`` pitfall);
cutting each piece first never does. The prefix keeps its end (the code nearest the cursor),
the suffix keeps its start, and the prefix gets most of the budget.
"""

from __future__ import annotations

__all__ = ["SUFFIX_SHARE", "fit"]

SUFFIX_SHARE = 0.25  # the suffix may keep at most this share of the budget when both overflow


def fit(prefix_tokens: int, suffix_tokens: int, budget: int) -> tuple[int, int]:
    """How many prefix and suffix tokens to keep so that their sum fits ``budget``."""
    budget = max(budget, 0)
    if prefix_tokens + suffix_tokens <= budget:
        return prefix_tokens, suffix_tokens
    suffix_keep = min(suffix_tokens, max(budget - prefix_tokens, int(budget * SUFFIX_SHARE)))
    prefix_keep = min(prefix_tokens, budget - suffix_keep)
    return prefix_keep, suffix_keep
