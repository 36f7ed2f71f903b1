"""Rule 6: drop trailing whitespace, keeping what the code after the cursor needs."""

from __future__ import annotations

from codefill.postprocess.context import CompletionContext, CursorPlace, cursor_place

__all__ = ["trim_whitespace"]


def trim_whitespace(text: str, context: CompletionContext) -> str:
    """``text`` without trailing spaces, tabs and blank lines; "" when nothing else is left.

    A completion of only whitespace (even a lone newline) becomes "": there is nothing to
    show, and the rules never invent text. Except indentation before code on the cursor's
    line: when only indentation precedes the cursor and code follows it directly, spaces
    or tabs without a newline indent that code (the model wrote ``  return x`` where the
    suffix has ``return x``, and the echo rule kept ``  ``). Two places keep some of the
    tail. Before code
    on the cursor's line (only indentation precedes the cursor), one newline and the
    indentation after it stay, so that code still starts its own line. Otherwise, when
    code follows the cursor directly (``x = |+ 1``, or ``    |compute()`` completed as
    ``result = ``), the spaces before it stay, as they separate tokens. Mid-line, when
    whitespace and then code follow the cursor, a completion that ends with a newline and
    indentation (the mid-line rule's line break) keeps them too: that code starts the line.
    """
    body = text.rstrip()
    place = cursor_place(context)
    if not body:
        indents = place is CursorPlace.BEFORE_CODE and not context.suffix[:1].isspace()
        return text if indents and "\n" not in text else ""
    tail = text[len(body) :]
    if _starts_line(place, context.suffix) and "\n" in tail:
        return body + "\n" + tail[tail.rfind("\n") + 1 :]
    if place is not CursorPlace.LINE_END and not context.suffix[:1].isspace():
        return body + tail.split("\n", 1)[0].rstrip("\r")
    return body


def _starts_line(place: CursorPlace, suffix: str) -> bool:
    """Whether the code after the cursor starts a line once the completion ends in a newline."""
    if place is CursorPlace.BEFORE_CODE:
        return True
    end = suffix.find("\n")
    first = suffix if end < 0 else suffix[:end]
    return place is CursorPlace.MID_LINE and first[:1].isspace()
