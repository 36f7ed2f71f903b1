"""Turn rendered prompt parts into token ids: template text special, user text plain."""

from __future__ import annotations

from collections.abc import Iterable

from codefill.prompt.templates import PromptPart
from codefill.types import Tokenizer

__all__ = ["encode_parts", "encode_with_span"]


def encode_parts(parts: Iterable[PromptPart], tokenizer: Tokenizer) -> list[int]:
    return encode_with_span(parts, tokenizer)[0]


def encode_with_span(
    parts: Iterable[PromptPart], tokenizer: Tokenizer, variable: str = "code_prefix"
) -> tuple[list[int], tuple[int, int] | None]:
    """The tokens, and where the part rendered from ``variable`` lies among them.

    Each part is tokenized on its own, so a variable's tokens end exactly where its text
    does: for ``code_prefix`` that is the cursor. None when the variable rendered nothing.
    """
    tokens: list[int] = [] if tokenizer.bos is None else [tokenizer.bos]
    span: tuple[int, int] | None = None
    for part in parts:
        start = len(tokens)
        tokens.extend(tokenizer.tokenize(part.text, special=part.special))
        if part.variable == variable and span is None:
            span = (start, len(tokens))
    return tokens, span
