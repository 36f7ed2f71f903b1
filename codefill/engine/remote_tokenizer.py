"""An approximate, reversible tokenizer for models whose vocabulary lives on a remote server.

A remote engine has no local vocabulary, yet the service still counts prompt tokens (to fit
the context and cap ``max_tokens``) and cuts prompts at token boundaries. This tokenizer
makes one pseudo-token of every run of characters that reaches :data:`BYTES_PER_TOKEN` UTF-8
bytes. Real BPE vocabularies average 3.5 (SmolLM2) to 4 (Qwen2.5-Coder) bytes per token on
code, so the count runs 15-35% high: a prompt that fits here fits upstream. The ids pack the
chunk's bytes, so :meth:`detokenize` gives the text back exactly; they mean nothing to the
upstream and are never sent. No spelling is a control token here: FIM markers come from the
model's configured ``family`` or ``template``.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["BYTES_PER_TOKEN", "ApproximateTokenizer"]

BYTES_PER_TOKEN = 3


class ApproximateTokenizer:
    """Pseudo-tokens of about :data:`BYTES_PER_TOKEN` bytes, cut at character boundaries."""

    def tokenize(self, text: str, *, special: bool) -> list[int]:
        if text.isascii():  # the common case for code: every character is one byte
            data = text.encode("ascii")
            return [
                _pack(data[i : i + BYTES_PER_TOKEN]) for i in range(0, len(data), BYTES_PER_TOKEN)
            ]
        tokens: list[int] = []
        chunk = b""
        for char in text:
            chunk += char.encode("utf-8")
            if len(chunk) >= BYTES_PER_TOKEN:
                tokens.append(_pack(chunk))
                chunk = b""
        if chunk:
            tokens.append(_pack(chunk))
        return tokens

    def detokenize(self, tokens: Sequence[int]) -> str:
        data = b"".join(_unpack(token) for token in tokens)
        return data.decode("utf-8", errors="replace")

    def piece(self, token: int) -> bytes:
        return _unpack(token)

    def special_token(self, text: str) -> int | None:
        return None

    @property
    def bos(self) -> int | None:
        return None


def _pack(chunk: bytes) -> int:
    """The chunk's bytes as one integer; the leading 1 keeps leading zero bytes."""
    return int.from_bytes(b"\x01" + chunk, "big")


def _unpack(token: int) -> bytes:
    if token <= 1:
        return b""
    return token.to_bytes((token.bit_length() + 7) // 8, "big")[1:]
