"""Rule 1: end the completion where its block ends (rule 2, mid-line, is in ``midline.py``)."""

from __future__ import annotations

import re

from codefill.postprocess.context import (
    CompletionContext,
    CursorPlace,
    cursor_line,
    cursor_place,
    first_suffix_code_line,
    indent_width,
    is_blank,
    opens_block,
)
from codefill.postprocess.lines import Cut, LineJudge, apply_judges
from codefill.postprocess.midline import SingleLineJudge, keep_first_line

__all__ = [
    "BlockBodyJudge",
    "ScopeJudge",
    "SingleLineJudge",
    "is_closing_line",
    "keep_first_line",
    "limit_scope",
]

_TERMINATOR = re.compile(r"(?:return|raise|break|continue)\b")
_CONTINUATION = re.compile(r"(?:else|elif|except|finally|case|catch|default)\b")
_CLOSING = re.compile(r"[)\]}]|(?:end|fi|done|esac)\b(?!\s*[=(.\[])")


def is_closing_line(line: str) -> bool:
    """Whether the line closes a block: it starts with ``}``, ``)``, ``]`` or ``end``/``fi``."""
    return _CLOSING.match(line.lstrip()) is not None


class ScopeJudge(LineJudge):
    """Cuts at the first line indented less than the block the cursor is in.

    The limit comes from the prefix. With code before the cursor it is that line's
    indentation, or one deeper when the line opens a block (``:``, ``{``, ``(``, ``[``).
    On a line holding only indentation it is that indentation, or one deeper than the
    previous line when that line opens a block. On an empty line (column 0) after a line
    that opens nothing, the cursor's place is unknown, so the limit is the lower of the
    previous line's indentation and that of the completion's first non-blank line: a
    completion that starts at top level may go on at top level.

    The cursor's own line (the completion's first line) is never cut. The first line below
    the limit ends the completion; it is kept, as the last line, only if it closes the
    block (``}``, ``)``, ``end``) at the indentation of the line that opened it, and the
    first non-blank line of the suffix neither closes that block itself nor still belongs
    inside it.

    The suffix says where its code continues (``suffix_level``). With code before the cursor
    and nothing after it on its line (a line that opens no block), when the completion
    leaves that line as it is (its first line is blank), the completion may go on
    at the level of the suffix's first code line when that is lower: after ``return False``
    inside an ``if``, the middle may add lines to the function body the suffix continues.
    And a line that leaves the block but opens a new one, whose body the suffix's first
    line could be (``else:`` above the suffix's deeper ``return x``), is held: if the next
    code line re-types the suffix's first line, the opener was the middle's last line and
    stays. A later line that returns (or raises, breaks, continues) at the indentation of
    the suffix's first code line, in no block the completion opened itself, ends the
    completion before it: it would leave the suffix unreachable, unless the suffix goes on
    with ``else``, ``except`` and the like.
    """

    rule = "scope"
    reason = "The completion left the block the cursor is in."

    def __init__(self, context: CompletionContext, suffix_level: bool = True) -> None:
        cur = cursor_line(context.prefix)
        self._above = context.prefix[: len(context.prefix) - len(cur)].split("\n")[:-1]
        previous = next((line for line in reversed(self._above) if not is_blank(line)), None)
        self._adapt = False
        self._opener = not is_blank(cur) and opens_block(cur)
        if not is_blank(cur):
            self._limit = indent_width(cur) + (1 if self._opener else 0)
        elif previous is not None and opens_block(previous):
            self._limit = indent_width(previous) + 1
        elif cur:
            self._limit = indent_width(cur)
        else:
            self._limit = indent_width(previous) if previous is not None else 0
            self._adapt = True
        self._suffix_line = first_suffix_code_line(context)
        self._seen_code = False
        self._cursor = cur
        self._shallowest: int | None = None  # the lowest indentation of a whole line so far
        self._suffix_level = suffix_level
        self._pending: tuple[int, str] | None = None  # an opener held for the suffix's body
        code_at_line_end = cur.strip() and cursor_place(context) is CursorPlace.LINE_END
        self._lower_to: int | None = None  # the suffix's level, once line 0 leaves cur as is
        if suffix_level and code_at_line_end and self._suffix_line and not self._opener:
            self._lower_to = _block_level(self._suffix_line)

    def judge(self, index: int, line: str, terminated: bool) -> Cut | None:
        if self._pending is not None:
            return self._settle(line, terminated)
        if index == 0 and self._lower_to is not None and is_blank(line):
            self._limit = min(self._limit, self._lower_to)
        if is_blank(line):
            return None
        first, self._seen_code = not self._seen_code, True
        if first and self._adapt:
            self._limit = min(self._limit, indent_width(line))
            return None
        if index == 0:
            if is_blank(self._cursor):
                self._shallowest = indent_width(self._cursor + line)
            return None
        width = indent_width(line)
        shallowest, self._shallowest = self._shallowest, min(width, self._shallowest or width)
        if self._ends_before_suffix(line, width) and (shallowest is None or width <= shallowest):
            return Cut(index)
        if width >= self._limit:
            return None
        if self._keeps_closer(line, width):
            return Cut(index, len(line), newline=terminated)
        if self._opens_suffix_body(line, width) and terminated:
            self._pending = (index, line)
            return None
        return Cut(index)

    def held_from(self) -> int | None:
        return None if self._pending is None else self._pending[0]

    def _ends_before_suffix(self, line: str, width: int) -> bool:
        """A ``return`` (``raise``, ``break``, ``continue``) in the very block the suffix
        continues would leave the suffix's code unreachable: the middle ended before it."""
        after = self._suffix_line
        if not self._suffix_level or after is None or width != indent_width(after):
            return False
        if line.rstrip() == after.rstrip():
            return False  # an echo of the suffix: the echo rules say so
        if _TERMINATOR.match(line.lstrip()) is None:
            return False
        return _CONTINUATION.match(after.lstrip()) is None and not is_closing_line(after)

    def _opens_suffix_body(self, line: str, width: int) -> bool:
        """A line that leaves the block but opens one whose body the suffix's first line
        could be (``    else:`` before the suffix's ``        return x``)."""
        after = self._suffix_line
        return (
            self._suffix_level
            and after is not None
            and opens_block(line)
            and indent_width(after) > width
        )

    def _settle(self, line: str, terminated: bool) -> Cut | None:
        """After a held opener: the next code line decides. When it re-types the suffix's
        first line, the opener was the last line of the middle (kept, with its newline);
        otherwise the completion left the block at the opener, which goes. A completion
        that ends right after the opener keeps it."""
        assert self._pending is not None
        index, opener = self._pending
        if is_blank(line):
            return Cut(index, len(opener), newline=True) if not terminated else None
        after = self._suffix_line or ""
        if line.rstrip() == after.rstrip():
            return Cut(index, len(opener), newline=True)
        return Cut(index)

    def _keeps_closer(self, line: str, width: int) -> bool:
        if not is_closing_line(line) or width != self._opener_width():
            return False
        after = self._suffix_line
        if after is None:
            return True
        after_width = indent_width(after)
        if after_width >= self._limit:  # the suffix still continues the block's body
            return False
        return not (is_closing_line(after) and after_width == width)

    def _opener_width(self) -> int | None:
        """Indentation of the line that opened the cursor's block (the nearest one above
        the cursor that is indented less than the limit); None at top level."""
        if self._opener:
            return self._limit - 1
        for line in reversed(self._above):
            if not is_blank(line) and indent_width(line) < self._limit:
                return indent_width(line)
        return None


def _block_level(line: str) -> int:
    """The indentation of the block a suffix line belongs to: its own, or one deeper for a
    line that closes a block (``}`` at 0 ends a body indented deeper than 0)."""
    return indent_width(line) + (1 if is_closing_line(line) else 0)


class BlockBodyJudge(LineJudge):
    """A first line that opens a block whose body already follows the cursor ends there.

    Filling a line above ``    running_max = n``, the completion ``if running_max is None:``
    has its body in the suffix; anything the model writes after that line would be a
    second body. Applies when only indentation precedes the cursor and the suffix's first
    code line is indented deeper than the completion's first line.
    """

    rule = "block_body"
    reason = "The first line opened a block whose body already follows the cursor."

    def __init__(self, context: CompletionContext) -> None:
        cur = cursor_line(context.prefix)
        body = first_suffix_code_line(context)
        self._cursor = cur if is_blank(cur) else None
        self._body_width = None if body is None else indent_width(body)

    def judge(self, index: int, line: str, terminated: bool) -> Cut | None:
        if index != 0 or self._cursor is None or self._body_width is None or not terminated:
            return None
        full = self._cursor + line
        if is_blank(full) or not opens_block(full):
            return None
        if self._body_width > indent_width(full):
            return Cut(0, len(line), newline=True)
        return None


def limit_scope(text: str, context: CompletionContext) -> str:
    """Rule 1 alone: ``text`` cut where it leaves the cursor's block (see :class:`ScopeJudge`)."""
    return apply_judges(text, [ScopeJudge(context)])
