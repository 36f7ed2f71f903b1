"""Token healing, the prompt's side: back the prompt off to a token boundary before the cursor.

A cursor in the middle of a word leaves the prompt ending on a token the model rarely saw
split that way (``    r`` is ``"   " + " r"``, never the start of ``" return"``), so it
starts a fresh word. Healing removes the prompt's last token, or its last few where the
partial word spans several, and the engine then makes the first generated tokens write the
removed bytes again (see :mod:`codefill.engine.healing`), so the model picks the token it
would have used, ``" return"``. Only the prefix's own tokens are removed: the template's
markers and the suffix stay as they are. docs/token-healing.md explains the choices.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["MAX_BACKOFF_TOKENS", "Healing", "back_off", "cursor_word"]

# Back-off stops after this many tokens even inside a longer word: each removed token costs
# a generation step, and four tokens cover the partial words of nearly every keystroke.
MAX_BACKOFF_TOKENS = 4

_TRAILING_WORD = re.compile(r"[^\W_]*\Z")  # letters and digits before the cursor


@dataclass(frozen=True)
class Healing:
    """The prompt to evaluate and the bytes its first generated tokens must write again.

    ``removed`` counts the tokens backed off. ``retype`` is empty when nothing was backed
    off; then ``tokens`` is the prompt unchanged.
    """

    tokens: tuple[int, ...]
    retype: bytes = b""
    removed: int = 0


def cursor_word(prefix: str) -> str:
    """The partial word before the cursor with the character that leads it, if any.

    BPE pre-tokenizers attach one leading space, dot or underscore to a run of letters
    (``" return"``, ``".items"``, ``"_total"``), so a token boundary that no later keystroke
    can move lies before that character. A newline never leads a word; after punctuation or
    spaces there is no word and the result is empty.
    """
    run = _TRAILING_WORD.search(prefix)
    word = run.group() if run else ""
    lead = len(prefix) - len(word) - 1
    if word and lead >= 0 and prefix[lead] not in "\r\n":
        return prefix[lead:]
    return word


def back_off(
    tokens: Sequence[int],
    prefix_span: tuple[int, int],
    prefix: str,
    piece: Callable[[int], bytes],
) -> Healing:
    """Remove the prefix's last token(s) from ``tokens``: at least one, more until the
    removed text covers :func:`cursor_word`, at most :data:`MAX_BACKOFF_TOKENS`.

    ``prefix_span`` is where the prefix's tokens lie in ``tokens`` and ``piece`` gives a
    token's bytes. Nothing is removed at the start of a line (the prompt already ends on a
    natural boundary), when the removed bytes would not be exactly the prefix's last bytes
    (a tokenizer that rewrites text), or when the prompt would be left empty.
    """
    unchanged = Healing(tuple(tokens))
    start, end = prefix_span
    if not prefix or prefix.endswith(("\n", "\r")):
        return unchanged
    wanted = len(cursor_word(prefix).encode("utf-8", "surrogatepass"))
    count, removed = 0, b""
    while end - count > start and count < MAX_BACKOFF_TOKENS:
        if count and len(removed) >= wanted:
            break
        count += 1
        removed = piece(tokens[end - count]) + removed
    tail_matches = prefix.encode("utf-8", "surrogatepass").endswith(removed)
    if not removed or not tail_matches or count >= len(tokens):
        return unchanged
    return Healing((*tokens[: end - count], *tokens[end:]), removed, count)
