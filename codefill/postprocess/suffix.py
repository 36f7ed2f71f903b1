"""Rule 4: cut where the completion starts re-typing the code that follows the cursor."""

from __future__ import annotations

from codefill.postprocess.context import (
    CompletionContext,
    CursorPlace,
    cursor_line,
    cursor_place,
    first_suffix_code_line,
    indent_width,
    is_blank,
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


def _line_key(line: str) -> tuple[int, str]:
    return indent_width(line), line.strip()


class SuffixEchoJudge(LineJudge):
    """Ends the completion before its first line equal to the suffix's first non-blank line,
    or before a finished line that is the start of it (at least eight characters).

    Lines compare as they read in the file: trailing whitespace is ignored, tabs and
    spaces compare by width, but the indentation must match, because a ``}`` or
    ``return`` one level deeper belongs to an inner block and is not an echo. This covers
    both a completion that ends by re-typing the start of the suffix and one that repeats
    it and runs on: either way the first echoed line and everything after it go.
    """

    def __init__(self, context: CompletionContext) -> None:
        target = first_suffix_code_line(context)
        self._target = None if target is None else _line_key(target)
        cur = cursor_line(context.prefix)
        self._cursor = cur if is_blank(cur) else None  # line 0 is a whole line only then

    def judge(self, index: int, line: str, terminated: bool) -> Cut | None:
        if self._target is None or is_blank(line):
            return None
        if index == 0:
            if self._cursor is None:
                return None
            line = self._cursor + line
        width, text = _line_key(line)
        target_width, target = self._target
        if width != target_width:
            return None
        if text == target or (terminated and _starts_the_same(text, target)):
            return Cut(index)
        return None


def _starts_the_same(text: str, target: str) -> bool:
    """A finished line that is the start of the suffix's line (``prod = 0`` against
    ``prod = 0 if 0 in arr else 1``): the model began to re-type the suffix differently."""
    return len(text) >= _SHORTEST_ECHO and target.startswith(text)


class InlineEchoJudge(LineJudge):
    """Mid-line, cuts the end of the first line where it repeats the rest of the cursor line.

    Typing ``foo(`` with ``)`` after the cursor, the completion ``a, b)`` becomes ``a, b``.
    The cut is taken only at a token boundary. An echo of brackets or quotes with no word
    in it is cut only when that leaves fewer unmatched brackets or quotes: in
    ``print(foo(`` + ``x)`` + ``)`` the model's ``)`` closes ``foo`` and stays. A cut ends
    the completion there: this judge only runs with the single-line rule, which shows no
    more than this line anyway.
    """

    def __init__(self, context: CompletionContext) -> None:
        self._active = cursor_place(context) is CursorPlace.MID_LINE
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
    """Whether cutting ``echo`` would split an identifier in the completion or the suffix."""
    return (_is_word(echo[0]) and _is_word(before[-1:])) or (
        _is_word(echo[-1]) and _is_word(after[:1])
    )


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
