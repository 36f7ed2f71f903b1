"""Rule 4: cut where the completion starts re-typing the code that follows the cursor."""

from __future__ import annotations

import difflib
import re

from codefill.postprocess.context import (
    CompletionContext,
    CursorPlace,
    cursor_line,
    cursor_place,
    indent_width,
    is_blank,
    opens_block,
    suffix_code_lines,
)
from codefill.postprocess.lines import Cut, LineJudge, apply_judges

__all__ = [
    "InlineEchoJudge",
    "SuffixEchoJudge",
    "cut_inline_echo",
    "cut_suffix_echo",
    "inline_echo_start",
]

_PAIRS = {")": "(", "]": "[", "}": "{"}
_SHORTEST_ECHO = 8  # characters; shorter starts (``x = 0``) are too common to mean an echo
_QUOTES = "\"'`"
_ECHO_LINES = 3  # suffix lines a later completion line is compared with
_SIMILAR = 0.5  # difflib ratio from which a same-keyword line re-types a suffix line
_FIRST_WORD = re.compile(r"[A-Za-z_]\w*|\S")


def _line_key(line: str) -> tuple[int, str]:
    return indent_width(line), line.strip()


class SuffixEchoJudge(LineJudge):
    """Ends the completion before the first line that re-types the code after the cursor.

    A line echoes when it equals the suffix's first non-blank line, or is a finished line
    that starts it (at least eight characters). From the completion's second line on, it
    also echoes when it re-types one of the suffix's first three code lines in other words:
    the same first word and mostly the same text (``evens.sort(key=abs)`` against the
    suffix's ``evens.sort()``, an ``elif`` arm the suffix already has). A model that runs into the
    suffix like that has finished the middle, and what it writes next duplicates code. The
    first line of a block's body is never such an echo: cutting there would leave the
    block's header without a body.

    Lines compare as they read in the file: trailing whitespace is ignored, tabs and
    spaces compare by width, but the indentation must match, because a ``}`` or
    ``return`` one level deeper belongs to an inner block and is not an echo.

    With ``own_line``, when code follows the cursor on its line after whitespace of its own
    (the cursor sits inside that line's indentation, or before spaces), a later line that
    is exactly that code with that whitespace echoes it too: once the completion has broken
    the cursor's line, the suffix's first line reads on a line of its own, at its own
    indentation (``       |`` + ``        'nine': 9``, re-typed as ``        'nine': 9``).
    """

    rule = "suffix_echo"
    reason = "The completion began to re-type the code that follows the cursor."

    def __init__(self, context: CompletionContext, own_line: bool = True) -> None:
        self._targets = [_line_key(line) for line in suffix_code_lines(context, _ECHO_LINES)]
        self._cursor = cursor_line(context.prefix)
        self._own = _own_line_key(context) if own_line else None
        self._opener: int | None = None  # the indentation of a previous line opening a block
        self._base: int | None = None  # the indentation of the line the completion starts on

    def judge(self, index: int, line: str, terminated: bool) -> Cut | None:
        if not self._targets or is_blank(line):
            return None
        if index == 0:
            line = self._cursor + line
        opener, self._opener = self._opener, indent_width(line) if opens_block(line) else None
        if self._base is None:
            self._base = indent_width(line)
        if index == 0 and not is_blank(self._cursor):
            return None  # line 0 is a whole line of its own only after indentation
        width, text = _line_key(line)
        if index > 0 and (width, text) == self._own:
            return Cut(index)
        first_width, first = self._targets[0]
        if width == first_width and (
            text == first or (terminated and _starts_the_same(text, first))
        ):
            return Cut(index)
        if self._may_retype(index, width, opener) and terminated:
            for target_width, target in self._targets:
                if width == target_width and _retypes(text, target):
                    return Cut(index)
        return None

    def _may_retype(self, index: int, width: int, opener: int | None) -> bool:
        """Only a later line back at the level where the completion began can re-type the
        suffix: deeper lines are the body of a block the completion opened, which may well
        mirror a block of the suffix, and so is the first line of any block's body."""
        if index == 0 or self._base is None or width > self._base:
            return False
        return opener is None or width <= opener


def _own_line_key(context: CompletionContext) -> tuple[int, str] | None:
    """The suffix's first line as a line of its own, when whitespace starts it and code
    follows (see :class:`SuffixEchoJudge`); None otherwise."""
    end = context.suffix.find("\n")
    first = (context.suffix if end < 0 else context.suffix[:end]).rstrip()
    if is_blank(first) or not first[0].isspace() or not any(_is_word(c) for c in first):
        return None
    return _line_key(first)


def _retypes(text: str, target: str) -> bool:
    """Whether ``text`` is ``target`` written again with small changes (a code line with
    words in it; lines of brackets alone are left to the exact rule)."""
    if text == target:
        return any(_is_word(c) for c in text)
    ours, theirs = _FIRST_WORD.match(text), _FIRST_WORD.match(target)
    if ours is None or theirs is None or ours.group() != theirs.group():
        return False
    if not _is_word(ours.group()[0]):
        return False
    return difflib.SequenceMatcher(None, text, target).ratio() >= _SIMILAR


def _starts_the_same(text: str, target: str) -> bool:
    """A finished line that is the start of the suffix's line (``prod = 0`` against
    ``prod = 0 if 0 in arr else 1``): the model began to re-type the suffix differently."""
    return len(text) >= _SHORTEST_ECHO and target.startswith(text)


class InlineEchoJudge(LineJudge):
    """With code after the cursor on its line, cuts the first line where it re-types that code.

    Typing ``foo(`` with ``)`` after the cursor, the completion ``a, b)`` becomes ``a, b``.
    The cut is taken only at a token boundary, or inside a word when the echo is long
    (eight characters) or runs to the end of the line: after ``text.`` with
    ``code('ascii'))`` after the cursor, the model's ``encode('ascii'))`` becomes ``en``.
    An echo of brackets or quotes with no word in it is cut only when that leaves fewer
    unmatched brackets or quotes: in ``print(foo(`` + ``x)`` + ``)`` the model's ``)``
    closes ``foo`` and stays. A cut ends the completion: what came after it re-types code
    that is already there. With nothing after the cursor on its line the judge does nothing.
    """

    rule = "inline_echo"
    reason = "The end of the line repeated the code after the cursor on the same line."

    def __init__(self, context: CompletionContext) -> None:
        self._active = cursor_place(context) is not CursorPlace.LINE_END
        self._cursor = cursor_line(context.prefix)
        end = context.suffix.find("\n")
        self._rest = context.suffix if end < 0 else context.suffix[:end]

    def judge(self, index: int, line: str, terminated: bool) -> Cut | None:
        if not self._active or index != 0:
            return None
        at = inline_echo_start(self._cursor, line, self._rest)
        return None if at is None else Cut(0, at)


def inline_echo_start(before: str, line: str, rest: str) -> int | None:
    """Where in ``line`` (typed between ``before`` and ``rest``) an echo of ``rest`` starts."""
    body = line.rstrip()
    wanted = rest.strip()
    if not wanted:
        return None
    for start in range(len(body)):
        echo = body[start:]
        if body[start].isspace() or not wanted.startswith(echo):
            continue
        if _splits_word(before + body[:start], echo, wanted[len(echo) :]):
            continue
        if _needs_balance_check(echo):
            full = before + body + rest
            shorter = before + body[:start] + rest
            if _imbalance(shorter) >= _imbalance(full):
                continue
        return start
    return None


def _needs_balance_check(echo: str) -> bool:
    """An echo of only punctuation holding a bracket or quote may be one the code needs."""
    brackets = any(c in _PAIRS or c in "([{" or c in _QUOTES for c in echo)
    return brackets and not any(_is_word(c) for c in echo)


def _is_word(char: str) -> bool:
    return char != "" and (char.isalnum() or char == "_")


def _splits_word(before: str, echo: str, after: str) -> bool:
    """Whether cutting ``echo`` would split an identifier in the completion or the suffix.

    Splitting the completion's word is allowed when the echo is long or is all of the rest
    of the line (``en|code('ascii'))``): so much re-typed code is no coincidence, and
    cutting there leaves the line exactly as the model wrote it.
    """
    if _is_word(echo[-1]) and _is_word(after[:1]):
        return True
    sure = len(echo) >= _SHORTEST_ECHO or not after
    return _is_word(echo[0]) and _is_word(before[-1:]) and not sure


def _imbalance(line: str) -> int:
    """Closing brackets without an opener, plus quote characters left unpaired."""
    stack: list[str] = []
    surplus = 0
    for char in line:
        if char in "([{":
            stack.append(char)
        elif char in _PAIRS:
            if stack and stack[-1] == _PAIRS[char]:
                stack.pop()
            else:
                surplus += 1
    return surplus + sum(line.count(q) % 2 for q in _QUOTES)


def cut_suffix_echo(text: str, context: CompletionContext) -> str:
    """Rule 4 alone: ``text`` cut before it re-types the suffix's first line."""
    return apply_judges(text, [SuffixEchoJudge(context)])


def cut_inline_echo(text: str, context: CompletionContext) -> str:
    """Mid-line, the first line of ``text`` without its echo of the rest of the cursor line."""
    return apply_judges(text, [InlineEchoJudge(context)])
