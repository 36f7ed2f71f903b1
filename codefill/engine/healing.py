"""Token healing, the engine's side: which tokens may re-type the bytes the prompt backed off.

The service removes the prompt's last token(s) before the cursor (:mod:`codefill.prompt.healing`)
and sends their bytes with the job. While some of those bytes are still to be written, only
tokens that start with all of them, or that are a prefix of them, may be sampled: the
model chooses how to spell the word it was in the middle of, but not to leave it. What a
token writes beyond those bytes is the answer's first new text; the re-typed bytes
themselves are never shown, since the user typed them already.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

__all__ = ["PieceIndex", "advance"]


class PieceIndex:
    """Every token's bytes, sorted once per model, to find the tokens a constraint allows.

    Tokens without bytes (control tokens) are left out: they can never re-type anything.
    """

    def __init__(self, pieces: Iterable[tuple[int, bytes]]) -> None:
        entries = sorted((data, token) for token, data in pieces if data)
        self._keys = [data for data, _token in entries]
        self._ids = np.fromiter((token for _data, token in entries), np.int32, len(entries))
        self._by_piece: dict[bytes, list[int]] = {}
        for data, token in entries:
            self._by_piece.setdefault(data, []).append(token)

    def allowed(self, remaining: bytes) -> npt.NDArray[np.int32]:
        """Tokens that start with ``remaining`` (they finish re-typing it, and may write
        more) or are a shorter, non-empty prefix of it (they re-type a part)."""
        low = bisect.bisect_left(self._keys, remaining)
        upper = _successor(remaining)
        high = len(self._keys) if upper is None else bisect.bisect_left(self._keys, upper, low)
        partial = [
            token
            for end in range(1, len(remaining))
            for token in self._by_piece.get(remaining[:end], ())
        ]
        if not partial:
            return self._ids[low:high]
        return np.concatenate((self._ids[low:high], np.asarray(partial, np.int32)))


def advance(remaining: bytes, piece: bytes) -> tuple[bytes, bytes]:
    """After a token with bytes ``piece``: what is still to be re-typed, and the new text.

    A token the constraint did not allow (it cannot happen when the backend honours it)
    ends the constraint and counts as new text in full, so nothing the model wrote is lost.
    """
    if piece.startswith(remaining):
        return b"", piece[len(remaining) :]
    if remaining.startswith(piece):
        return remaining[len(piece) :], b""
    return b"", piece


def _successor(prefix: bytes) -> bytes | None:
    """The least byte string above every string that starts with ``prefix`` (None: none)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])
