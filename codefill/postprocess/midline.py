"""Rule 2: mid-line, the completion ends on the cursor's line, or where the suffix takes over.

With code on both sides of the cursor, only the rest of that line fits: the completion ends
at its first newline. A middle may also span several lines and end inside a later one,
which the code after the cursor then finishes: the first line closes one statement, and a
later line runs into the rest of the cursor's line (``sum_va`` + ``lue += n`` ...
``return sum_value`` + ``, prod_value``). The rule waits a few lines for such an end
before it settles for the first line.
"""

from __future__ import annotations

import re

from codefill.postprocess.context import (
    CompletionContext,
    CursorPlace,
    cursor_line,
    cursor_place,
    indent_width,
    is_blank,
    opens_block,
)
from codefill.postprocess.lines import Cut, LineJudge, apply_judges

__all__ = ["SingleLineJudge", "keep_first_line", "mid_line_end"]

WAIT_LINES = 4  # lines after the first that may still end the middle inside them
_SHORTEST_REST = 8  # characters of the cursor line's rest a later line must end with
_SHORTEST_PART = 3  # characters of a word split at the cursor a later line must re-type
_WORD = re.compile(r"\w+")
_NEXT_NAME = re.compile(r"[ \t]+([A-Za-z_]\w*)")
# Words that may follow a finished operand on the same line of Python.
_GOES_ON = frozenset(("and", "or", "not", "in", "is", "if", "else", "for", "async", "as", "from"))
_OPERAND_END = re.compile(r"[\w)\]}'\"]$")
_FIRST_WORD = re.compile(r"[ \t]*(\w+)")


class SingleLineJudge(LineJudge):
    """Mid-line (code before and after the cursor) only the rest of that line fits.

    The completion ends at its first newline, which is dropped: the suffix's code follows
    on the same line. Unless that first line ends the cursor's line as a block header
    (``for i in range(len(a`` + ``rr) // 2):``, with ``block_headers``): then the middle
    goes on with the block below it and ends where the echo rules find the rest of the
    line re-typed.

    With ``multi_line`` the rule also waits up to four more lines for a middle that ends
    inside a later line (see :func:`mid_line_end`): one that ends with the rest of the
    cursor's line (eight characters or more, a word among them), or, when the cursor
    splits a word, one whose first word ends with the suffix's part of that word (three
    characters or more). Such a line is where the middle ends, mid-line. The first line
    stays held meanwhile; when no such line comes (the completion ends, a line leaves the
    cursor's indentation for the top level, or four lines pass), only the first line is
    kept, whatever another rule cut meanwhile. In Python, when the first line finishes a
    statement that the suffix's code cannot continue on the same line (see
    :func:`line_break_pad`), the middle ends on the next line instead, with the newline and
    as much of that line's indentation as puts the suffix's code in the cursor's block.
    """

    rule = "single_line"
    reason = "The cursor is mid-line with code after it, so only the rest of that line fits."

    def __init__(
        self, context: CompletionContext, block_headers: bool = True, multi_line: bool = True
    ) -> None:
        self._active = cursor_place(context) is CursorPlace.MID_LINE
        self._cursor = cursor_line(context.prefix)
        self._block_headers = block_headers
        self._python = context.language.strip().lower() in ("python", "py")
        end = context.suffix.find("\n")
        self._rest = (context.suffix if end < 0 else context.suffix[:end]).strip()
        self._multi_line = multi_line and self._active and _may_end_later(self._cursor, self._rest)
        self._waiting: Cut | None = None  # the first line alone, while a later end may come
        self._found: Cut | None = None  # the later end, once found
        self._breaks = multi_line and self._active and self._python
        self._suffix = context.suffix
        self._pad: int | None = None  # columns of line 1 to keep, once the line breaks

    def judge(self, index: int, line: str, terminated: bool) -> Cut | None:
        if self._waiting is not None:
            return self._settle(index, line, terminated)
        if self._active and terminated:
            full = self._cursor + line
            if self._python:  # ``//`` divides there: it starts no comment
                full = full.replace("//", "/")
            if self._block_headers and opens_block(full):
                self._active = False  # a header: the middle goes on below it
                return None
            if self._breaks:
                self._pad = line_break_pad(self._cursor + line, self._suffix)
            if self._multi_line or self._pad is not None:
                self._waiting = Cut(0, len(line))
                return None
            return Cut(0, len(line))
        return None

    def held_from(self) -> int | None:
        return None if self._waiting is None else 0

    def overrule(self, cut: Cut) -> Cut:
        """While waiting, a cut another rule made after the first line keeps that line alone."""
        if self._waiting is None or cut <= self._waiting:
            return cut
        return self._found or self._waiting

    def _settle(self, index: int, line: str, terminated: bool) -> Cut | None:
        assert self._waiting is not None
        pad = self._pad
        if index == 1 and pad is not None and len(line) - len(line.lstrip(" ")) >= pad:
            self._found = Cut(1, pad)
            return self._found
        keep = mid_line_end(self._cursor, line, self._rest) if self._multi_line else None
        if keep is not None:
            self._found = Cut(index, keep)
            return self._found
        left = not is_blank(line) and indent_width(line) == 0 < indent_width(self._cursor)
        if not terminated or left or index >= WAIT_LINES:
            return self._waiting
        return None


def line_break_pad(full: str, suffix: str) -> int | None:
    """Python: where a finished line meets code it cannot run into, the code starts the
    next line; the columns the completion's next line must give it, or None.

    ``full`` is the cursor's line with the completion's first line. When its brackets are
    balanced, it ends with an operand (a name, a number, a string, a closing bracket) and
    the suffix's first line is whitespace and then a name that cannot follow an operand
    (not ``and``, ``in``, ``if``, ``for`` ...), the two cannot share a line (``ret =
    str(x % base) + ret`` and ``       x //= base``): the middle ends with the newline, and
    enough of the next line's indentation to put that name at the indentation of the
    cursor's line.
    """
    code = full.rstrip()
    name = _NEXT_NAME.match(suffix)
    if name is None or name.group(1) in _GOES_ON or _OPERAND_END.search(code) is None:
        return None
    if sum(code.count(c) for c in "([{") != sum(code.count(c) for c in ")]}"):
        return None
    pad = indent_width(full) - indent_width(suffix)
    return pad if pad >= 0 else None


def _may_end_later(cursor: str, rest: str) -> bool:
    """Whether a later line could show where the middle ends (see :func:`mid_line_end`)."""
    if len(rest) >= _SHORTEST_REST and _WORD.search(rest) is not None:
        return True
    return _split_part(cursor, rest) is not None


def _split_part(cursor: str, rest: str) -> str | None:
    """The suffix's part of a word the cursor splits (``element|urn``: ``urn``), if long
    enough to recognise; None when the cursor is not inside a word."""
    part = _WORD.match(rest)
    if part is None or (not cursor[-1:].isalnum() and cursor[-1:] != "_"):
        return None
    return part.group() if len(part.group()) >= _SHORTEST_PART else None


def mid_line_end(cursor: str, line: str, rest: str) -> int | None:
    """Where in a later completion ``line`` the middle ends and ``rest`` (the cursor line's
    code after the cursor) takes over; None when it does not.

    Either the line ends with ``rest`` after some code of its own (``return sum_value`` +
    ``, prod_value``), or the cursor splits a word and the line's first word ends with the
    suffix's part of it, followed by the same character (``ret`` + ``urn sorted(x)``
    against the model's ``return x``).
    """
    body = line.rstrip()
    if len(rest) >= _SHORTEST_REST and body.endswith(rest):
        keep = len(body) - len(rest)
        if not is_blank(body[:keep]) and _WORD.search(rest) is not None:
            return keep
    part = _split_part(cursor, rest)
    first = _FIRST_WORD.match(body)
    if part is None or first is None or len(first.group(1)) <= len(part):
        return None
    after = first.end()
    if first.group(1).endswith(part) and body[after : after + 1] == rest[len(part) : len(part) + 1]:
        return after - len(part)
    return None


def keep_first_line(text: str, context: CompletionContext) -> str:
    """Rule 2 alone: mid-line, only the completion's first line, without its newline."""
    return apply_judges(text, [SingleLineJudge(context, multi_line=False)])
