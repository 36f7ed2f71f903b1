"""Rule 7: the code after the cursor re-typed from any point of the completion.

The line rules of ``suffix.py`` catch a completion line that re-types the suffix's first
line whole. A completion also runs into the suffix in the middle of a line (the middle
ends in ``b`` and the model goes on with the suffix's ``)``), mid-token (``retu`` +
``rn x``), or after rewriting the suffix's first line and copying the lines after it.
"""

from __future__ import annotations

from dataclasses import dataclass

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

__all__ = ["AnywhereEchoJudge", "cut_echo_anywhere"]

CONFIRM_CHARS = 12  # non-blank characters of the suffix an echo must re-type to count
_END_CHARS = 4  # at the very end of a completion, a shorter echo counts
_TARGET_LINES = 8  # suffix code lines compared
_SKIPPED_LINES = 1  # suffix lines a copy may start after, when the lines above it align


@dataclass
class _Match:
    """An echo in progress: where it would cut, and the next suffix line it expects."""

    line: int
    keep: int
    next: int
    chars: int


def _code_chars(text: str) -> int:
    return len(text) - text.count(" ") - text.count("\t")


class AnywhereEchoJudge(LineJudge):
    """Cuts where the completion starts re-typing the code after the cursor, from any point.

    The suffix's code lines (blank lines and trailing whitespace aside) are the target, as
    they read in the file. With code on both sides of the cursor, the rest of the cursor's
    line is the target's first line, and an echo may start anywhere in a later completion
    line that ends with it, mid-token too: the cut keeps that line up to there. Otherwise
    the echo is whole lines, at the same indentation. An echo counts once the completion
    has re-typed at least twelve non-blank characters of the suffix in a row of whole
    lines (or all of the suffix), or at least four when the completion ends inside the
    echo. The lines of a possible echo are held back until it is decided.

    A copy may also start at the suffix's second code line when the suffix's first one
    opens a block and the completion line just above the copy opens one at the same
    indentation: the model rewrote the block's header (``while`` for ``if``) and then
    copied its body. The cut then drops the rewritten header too.

    With code before the cursor, the completion's first line ends the cursor's line and is
    not judged (the inline echo rule looks at it).
    """

    rule = "echo_anywhere"
    reason = "The completion re-typed the code that follows the cursor, starting mid-way."

    def __init__(self, context: CompletionContext) -> None:
        suffix, cur = context.suffix, cursor_line(context.prefix)
        place = cursor_place(context)
        self._inline = place is CursorPlace.MID_LINE
        self._cursor = cur if place is CursorPlace.BEFORE_CODE else ""
        self._code_before = not is_blank(cur)  # then line 0 ends the cursor's line
        lines = [line.rstrip() for line in suffix.split("\n")[:64]]
        if lines and place is not CursorPlace.LINE_END:
            lines[0] = lines[0].strip() if self._inline else cur + lines[0]
        self._target = [line for line in lines if not is_blank(line)][:_TARGET_LINES]
        self._total = sum(_code_chars(line) for line in self._target)
        self._matches: list[_Match] = []
        self._recent: list[tuple[int, int, bool]] = []  # recent code lines: index, width, opener

    def judge(self, index: int, line: str, terminated: bool) -> Cut | None:
        if not self._target or self._total < _END_CHARS:
            return None
        if is_blank(line):
            return self._at_end(terminated)
        body = (self._cursor + line if index == 0 else line).rstrip()
        advanced: list[_Match] = []
        for match in self._matches:
            if match.next < len(self._target) and body == self._target[match.next]:
                match.next += 1
                match.chars += _code_chars(body)
                advanced.append(match)
        self._matches = advanced
        if not (index == 0 and self._code_before):
            self._start(index, body)
            recent = (index, indent_width(body), opens_block(body))
            self._recent = [*self._recent[-_SKIPPED_LINES:], recent]
        for match in self._matches:
            if match.chars >= CONFIRM_CHARS or match.next == len(self._target):
                return Cut(match.line, match.keep)
        return self._at_end(terminated)

    def held_from(self) -> int | None:
        held = [m.line for m in self._matches]
        if self._recent and self._is_header(self._recent[-1]):
            held.append(self._recent[-1][0])  # the next line may show it was rewritten
        return min(held, default=None)

    def _is_header(self, recent: tuple[int, int, bool]) -> bool:
        """Whether a completion line may be a rewrite of the suffix's first line, a header."""
        header = self._target[0] if len(self._target) > 1 else ""
        _, width, opener = recent
        return opener and opens_block(header) and width == indent_width(header)

    def _at_end(self, terminated: bool) -> Cut | None:
        if terminated:
            return None
        done = [m for m in self._matches if m.chars >= _END_CHARS]
        return Cut(done[0].line, done[0].keep) if done else None

    def _start(self, index: int, body: str) -> None:
        first = self._target[0]
        if self._inline:
            if body.endswith(first):
                keep = len(body) - len(first)
                self._matches.append(_Match(index, keep, 1, _code_chars(first)))
            return
        for skipped in range(min(_SKIPPED_LINES, len(self._target) - 1) + 1):
            if body != self._target[skipped]:
                continue
            start = self._aligned_start(index, skipped)
            if start is not None:
                self._matches.append(_Match(start, 0, skipped + 1, _code_chars(body)))
                return

    def _aligned_start(self, index: int, skipped: int) -> int | None:
        """Where a copy that starts at target line ``skipped`` begins in the completion: at
        ``index``, or at the code line above when the suffix's first line is a block header
        and that line is one too, at the same indentation (a rewritten header); else None."""
        if skipped == 0:
            return index
        if not self._recent or not self._is_header(self._recent[-1]):
            return None
        return self._recent[-1][0]


def cut_echo_anywhere(text: str, context: CompletionContext) -> str:
    """Rule 7 alone: ``text`` cut where it starts re-typing the suffix (see the judge)."""
    return apply_judges(text, [AnywhereEchoJudge(context)])
