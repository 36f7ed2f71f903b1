"""Turn rendered prompt parts into token ids: template text special, user text plain."""

from __future__ import annotations

from collections.abc import Iterable

from codefill.prompt.templates import PromptPart
from codefill.types import Tokenizer

__all__ = ["encode_parts"]


def encode_parts(parts: Iterable[PromptPart], tokenizer: Tokenizer) -> list[int]:
    tokens: list[int] = [] if tokenizer.bos is None else [tokenizer.bos]
    for part in parts:
        tokens.extend(tokenizer.tokenize(part.text, special=part.special))
    return tokens
