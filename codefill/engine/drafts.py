"""Drafts for speculative decoding, looked up in what the job has already seen.

Code repeats its own context: a completion copies a name, a call or whole lines from the
prompt, or writes again what an earlier completion of the same session wrote. No draft
model: the last ``n`` tokens of the context are looked up in an index of the n-grams the
job has seen (the session's recent completions, the prompt, its own output so far), and
the tokens that followed their most recent occurrence are the draft. The scheduler decodes
the draft beside the job's next token and keeps the run the model itself samples, so the
text is the one plain decoding would write, only sooner (llama.cpp's n-gram lookup and its
server's ``--spec-type ngram-*`` work the same way). On two cores a draft model did not pay.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["Drafter", "next_length"]

_GAP = -1  # between sources, so that no n-gram spans two of them


class Drafter:
    """The n-gram index of one job's context; ``push`` each token the job writes."""

    def __init__(self, n: int, history: Iterable[Sequence[int]], prompt: Sequence[int]) -> None:
        self._n = n
        self._tokens: list[int] = []
        self._after: dict[tuple[int, ...], int] = {}  # n-gram -> where its last follower is
        for tokens in history:
            self._extend(tokens)
            self._extend((_GAP,))
        self._extend(prompt)

    def push(self, token: int) -> None:
        self._extend((token,))

    def draft(self, limit: int) -> list[int]:
        """Up to ``limit`` tokens that followed the context's last n-gram where it last
        occurred before; empty when it did not occur."""
        if limit <= 0 or len(self._tokens) < self._n:
            return []
        start = self._after.get(tuple(self._tokens[-self._n :]))
        if start is None:
            return []
        drafted = self._tokens[start : start + limit]
        if _GAP in drafted:
            drafted = drafted[: drafted.index(_GAP)]
        return drafted

    def _extend(self, tokens: Sequence[int]) -> None:
        """Append ``tokens``, indexing each n-gram once the token after it is known (so the
        context's own last n-gram never answers its own lookup)."""
        seen, after, n = self._tokens, self._after, self._n
        for token in tokens:
            if len(seen) >= n:
                key = tuple(seen[-n:])
                if _GAP not in key:
                    after[key] = len(seen)
            seen.append(token)


def next_length(current: int, drafted: int, accepted: int, most: int, least: int = 2) -> int:
    """The next draft's length: doubled after a draft the model took whole, else one past
    what it took, never under ``least`` (a draft costs a row of the batch per token, wasted
    when refused; on a small CPU a batch of two rows costs as much as two decodes)."""
    if drafted and accepted == drafted:
        return min(most, max(current, least) * 2)
    return max(least, min(most, accepted + 1))
