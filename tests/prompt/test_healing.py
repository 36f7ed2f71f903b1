"""Token healing's back-off: which of the prefix's last tokens are removed, and their bytes."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from codefill.prompt.healing import MAX_BACKOFF_TOKENS, Healing, back_off, cursor_word
from codefill.prompt.templates import Template
from codefill.prompt.tokens import encode_with_span


class TableTokenizer:
    """Splits text into the fewest known pieces, a stand-in for a BPE vocabulary."""

    MARKERS = ("<pre>", "<suf>", "<mid>")

    def __init__(self, pieces: Sequence[str]) -> None:
        self.pieces = ["<bos>", *self.MARKERS, *pieces]

    def tokenize(self, text: str, *, special: bool) -> list[int]:
        usable = [
            (t, p) for t, p in enumerate(self.pieces) if t and (special or p not in self.MARKERS)
        ]
        best: list[list[int] | None] = [[]] + [None] * len(text)
        for end in range(1, len(text) + 1):
            for token, piece in usable:
                start = end - len(piece)
                before = best[start] if start >= 0 else None
                shorter = best[end] is None or len(before or ()) + 1 < len(best[end] or ())
                if before is not None and text.startswith(piece, start) and shorter:
                    best[end] = [*before, token]
        found = best[len(text)]
        if found is None:
            raise ValueError(f"no pieces for {text!r}")
        return found

    def detokenize(self, tokens: Sequence[int]) -> str:
        return "".join(self.pieces[t] for t in tokens)

    def piece(self, token: int) -> bytes:
        return self.pieces[token].encode()

    def special_token(self, text: str) -> int | None:
        return self.pieces.index(text) if text in self.MARKERS else None

    @property
    def bos(self) -> int | None:
        return 0


PIECES = ["def", " f", "():", "\n", "   ", " r", " ret", "u", " self", ".", "ite", "(", "x"]
PIECES += [" =", " foo", " ", "    ", "a", "b", "c", "d", "e", "f", "g", "h", "é"]
FIM = Template("<pre>{code_prefix}<suf>{code_suffix}<mid>")
PREFIX_ONLY = Template("{code_prefix}")


def heal(prefix: str, suffix: str = "\n", template: Template = FIM) -> tuple[str, bytes]:
    """The backed-off prompt as text, and the bytes to re-type."""
    tokenizer = TableTokenizer(PIECES)
    parts = template.render({"code_prefix": prefix, "code_suffix": suffix})
    tokens, span = encode_with_span(parts, tokenizer)
    assert span is not None
    healing = back_off(tokens, span, prefix, tokenizer.piece)
    return tokenizer.detokenize(healing.tokens), healing.retype


@pytest.mark.parametrize(
    ("prefix", "word"),
    [
        ("    r", " r"),
        ("x = self.ite", ".ite"),
        ("total_am", "_am"),
        ("x = foo(", ""),
        ("    ", ""),
        ("def f():\nret", "ret"),  # a newline never leads a word
        ("r", "r"),
        ("été", "été"),
        ("x1", "x1"),
    ],
)
def test_cursor_word(prefix: str, word: str) -> None:
    assert cursor_word(prefix) == word


def test_one_token_when_it_covers_the_partial_word() -> None:
    assert heal("def f():\n    r") == ("<bos><pre>def f():\n   <suf>\n<mid>", b" r")


def test_more_tokens_where_the_partial_word_spans_several() -> None:
    assert heal("def f():\n    retu") == ("<bos><pre>def f():\n   <suf>\n<mid>", b" retu")
    assert heal("    self.ite")[1] == b".ite"


def test_after_punctuation_or_spaces_the_last_token_goes() -> None:
    assert heal("x = foo(")[1] == b"("
    assert heal("def f():\n    ")[1] == b"    "


def test_the_back_off_is_capped() -> None:
    prompt, retype = heal("    hagbhagb")  # one token per letter
    assert retype == b"hagb" and len(retype) == MAX_BACKOFF_TOKENS
    assert prompt.endswith("    hagb<suf>\n<mid>")


def test_nothing_is_removed_at_the_start_of_a_line() -> None:
    assert heal("def f():\n") == ("<bos><pre>def f():\n<suf>\n<mid>", b"")


def test_prefix_only_templates_heal_the_end_of_the_prompt() -> None:
    assert heal("def f():\n    r", template=PREFIX_ONLY) == ("<bos>def f():\n   ", b" r")


def test_multibyte_characters_are_re_typed_as_bytes() -> None:
    assert heal("x = é") == ("<bos><pre>x =<suf>\n<mid>", " é".encode())


def test_a_tokenizer_that_rewrites_text_is_left_alone() -> None:
    tokens = (0, 1, 2)
    rewritten = back_off(tokens, (1, 3), "ab", lambda token: b"X")
    assert rewritten == Healing(tokens)


def test_the_prompt_is_never_emptied() -> None:
    assert back_off((5,), (0, 1), "r", lambda token: b"r") == Healing((5,))
