"""Rule 6: drop trailing whitespace, keeping what the code after the cursor needs."""

from __future__ import annotations

from codefill.postprocess.context import CompletionContext, CursorPlace, cursor_place

__all__ = ["trim_whitespace"]


def trim_whitespace(text: str, context: CompletionContext) -> str:
    """``text`` without trailing spaces, tabs and blank lines; "" when nothing else is left.

    A completion of only whitespace (even a lone newline) becomes "": there is nothing to
    show, and the rules never invent text. Two places keep some of the tail. Before code
    on the cursor's line (only indentation precedes the cursor), one newline and the
    indentation after it stay, so that code still starts its own line. Otherwise, when
    code follows the cursor directly (``x = |+ 1``, or ``    |compute()`` completed as
    ``result = ``), the spaces before it stay, as they separate tokens.
    """
    body = text.rstrip()
    if not body:
        return ""
    tail = text[len(body) :]
    place = cursor_place(context)
    if place is CursorPlace.BEFORE_CODE and "\n" in tail:
        return body + "\n" + tail[tail.rfind("\n") + 1 :]
    if place is not CursorPlace.LINE_END and not context.suffix[:1].isspace():
        return body + tail.split("\n", 1)[0].rstrip("\r")
    return body
