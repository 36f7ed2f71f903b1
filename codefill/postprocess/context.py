"""What the rules know about the cursor: the request's context, the options, line helpers."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "CompletionContext",
    "CursorPlace",
    "PostprocessOptions",
    "cursor_line",
    "cursor_place",
    "first_suffix_code_line",
    "indent_width",
    "is_blank",
    "opens_block",
    "suffix_code_lines",
]

_TAB_WIDTH = 4
_OPENERS = ("{", "(", "[", ":")
_COMMENTS = ("#", "//", "/*", "* ")


@dataclass(frozen=True)
class CompletionContext:
    """The code around the cursor; ``language`` is codefill's name for it ("" when unknown)."""

    prefix: str
    suffix: str
    language: str = ""


@dataclass(frozen=True)
class PostprocessOptions:
    """Switches for each rule; ``enabled=False`` passes text through unchanged."""

    enabled: bool = True
    scope: bool = True
    single_line: bool = True
    language_stops: bool = True
    suffix_overlap: bool = True
    repetition: bool = True
    suffix_level: bool = True  # the scope rule reads the suffix's indentation too
    echo_anywhere: bool = True  # the suffix re-typed from any point of the completion
    brackets: bool = True  # brackets closed that the suffix closes
    end_markers: bool = True  # the model's own end-of-text and padding markers
    mid_line_blocks: bool = True  # mid-line, a first line that is a block header goes on
    own_line_echo: bool = True  # the suffix's first line re-typed on a line of its own
    mid_line_ends: bool = True  # mid-line, a middle of several lines may end inside a later one
    # Lines the model may still write after a rule's cut: if it ends the text itself
    # (end-of-generation) within them, its own end wins. 0 for models that rarely end
    # themselves (the cut then stops generation at once); see docs/postprocessing.md.
    model_end: int = 0
    trim: bool = True


class CursorPlace(enum.Enum):
    """Where the cursor sits on its line; several rules change with it."""

    MID_LINE = "mid_line"  # code before and after the cursor: only the first line fits
    BEFORE_CODE = "before_code"  # only indentation before the cursor, code after it
    LINE_END = "line_end"  # nothing but whitespace after the cursor on its line


def is_blank(line: str) -> bool:
    return not line.strip()


def indent_width(line: str) -> int:
    """Columns of leading whitespace, a tab counting as four, so tabs and spaces compare."""
    body = line.lstrip(" \t")
    return len(line[: len(line) - len(body)].expandtabs(_TAB_WIDTH))


def cursor_line(prefix: str) -> str:
    """The text before the cursor on the cursor's line."""
    return prefix[prefix.rfind("\n") + 1 :]


def _suffix_first_line(suffix: str) -> str:
    end = suffix.find("\n")
    return suffix if end < 0 else suffix[:end]


def cursor_place(context: CompletionContext) -> CursorPlace:
    if is_blank(_suffix_first_line(context.suffix)):
        return CursorPlace.LINE_END
    if is_blank(cursor_line(context.prefix)):
        return CursorPlace.BEFORE_CODE
    return CursorPlace.MID_LINE


def first_suffix_code_line(context: CompletionContext) -> str | None:
    """The first non-blank line after the cursor, as it reads in the file (with indentation).

    The suffix's first line counts only when nothing but indentation precedes the cursor;
    otherwise it is the tail of a line that starts in the prefix.
    """
    lines = suffix_code_lines(context, 1)
    return lines[0] if lines else None


def suffix_code_lines(context: CompletionContext, count: int) -> list[str]:
    """The first ``count`` non-blank lines after the cursor, as :func:`first_suffix_code_line`
    reads them (right-stripped)."""
    suffix = context.suffix
    cur = cursor_line(context.prefix)
    found: list[str] = []
    start = 0
    while start <= len(suffix) and len(found) < count:
        end = suffix.find("\n", start)
        end = len(suffix) if end < 0 else end
        line = suffix[start:end]
        if start == 0:
            line = cur + line if is_blank(cur) else ""
        if not is_blank(line):
            found.append(line.rstrip())
        start = end + 1
    return found


def opens_block(line: str) -> bool:
    """Whether ``line`` ends by opening a block (``{``, ``(``, ``[`` or Python's ``:``).

    A trailing ``#`` or ``//`` comment after whitespace is ignored, so ``if x:  # why``
    still opens a block, and a comment line (``# Example:``) opens none.
    """
    code = line.rstrip()
    if code.lstrip().startswith(_COMMENTS):
        return False
    for marker in (" #", "\t#", " //", "\t//"):
        at = code.find(marker)
        if at > 0:
            code = code[:at].rstrip()
    return code.endswith(_OPENERS)
