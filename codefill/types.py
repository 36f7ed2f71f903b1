"""Types shared across layers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeAlias

__all__ = ["JSON", "Tokenizer"]

JSON: TypeAlias = dict[str, Any]


class Tokenizer(Protocol):
    """Text to token ids and back; ``special`` lets control-token spellings become tokens."""

    def tokenize(self, text: str, *, special: bool) -> list[int]: ...

    def detokenize(self, tokens: Sequence[int]) -> str: ...

    def piece(self, token: int) -> bytes:
        """The bytes one token stands for (control tokens: none); token healing needs them."""
        ...

    def special_token(self, text: str) -> int | None:
        """The id of the control token spelled ``text``, or None when the vocabulary lacks it."""
        ...

    @property
    def bos(self) -> int | None:
        """The token to put first, when the model wants one."""
        ...
