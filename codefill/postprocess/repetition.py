"""Rule 5: stop a model that loops, by whole lines or at the end of one line."""

from __future__ import annotations

import re

from codefill.postprocess.context import is_blank
from codefill.postprocess.lines import Cut, LineJudge, apply_judges

__all__ = [
    "LineEndRepetitionJudge",
    "RepeatedLinesJudge",
    "cut_line_end_repetition",
    "cut_repeated_lines",
    "ends_in_repetition",
    "nearly_equal",
]

RUN_LENGTH = 5  # this many near-identical lines in a row are a loop
_END_REPEATS = (
    re.compile(r"(.{3,}?)\1{5,}$"),  # a 3+ character pattern six or more times
    re.compile(r"(.{10,}?)\1{3,}$"),  # a 10+ character pattern four or more times
)
_WINDOW = 500  # only a line's last characters are searched: a loop ends the line anyway
_FUZZY_MAX = 200  # longer lines must repeat exactly; the edit distance costs len**2


def ends_in_repetition(line: str, final: bool) -> bool:
    """Whether ``line`` ends in a pattern repeated many times (a model stuck in a loop).

    A line that the model finished (``final`` False) is spared when the repeat is one
    character, as in a ``# -----`` divider; the completion's last, unfinished line is not,
    since a loop usually runs until the token limit.
    """
    tail = line.rstrip()[-_WINDOW:]
    for pattern in _END_REPEATS:
        match = pattern.search(tail)
        if match and (final or len(set(match.group(0))) > 1):
            return True
    return False


def nearly_equal(a: str, b: str) -> bool:
    """Equal, or within an edit distance under a tenth of the longer line."""
    if a == b:
        return True
    longest = max(len(a), len(b))
    budget = (longest - 1) // 10
    if budget == 0 or longest > _FUZZY_MAX or abs(len(a) - len(b)) > budget:
        return False
    return _distance_within(a, b, budget)


def _distance_within(a: str, b: str, budget: int) -> bool:
    """Levenshtein distance <= budget, computing only the diagonal band that can matter."""
    over = budget + 1
    previous = [j if j <= budget else over for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        current = [over] * (len(b) + 1)
        if i <= budget:
            current[0] = i
        low, high = max(1, i - budget), min(len(b), i + budget)
        for j in range(low, high + 1):
            current[j] = min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (a[i - 1] != b[j - 1]),
            )
        if min(current[low - 1 : high + 1]) > budget:
            return False
        previous = current
    return previous[len(b)] <= budget


class RepeatedLinesJudge(LineJudge):
    """Keeps the first of five or more near-identical lines in a row and ends there.

    Lines compare with their indentation (so nested ``}`` lines differ); blank lines
    neither count nor break a run. While a run is shorter than five its later lines are
    held back, since they may yet be dropped.
    """

    rule = "repeated_lines"
    reason = "The model repeated near-identical lines five or more times in a row."

    def __init__(self) -> None:
        self._start = -1
        self._first = ""
        self._count = 0

    def judge(self, index: int, line: str, terminated: bool) -> Cut | None:
        if is_blank(line):
            return None
        key = line.rstrip()
        if self._count and nearly_equal(self._first, key):
            self._count += 1
            return Cut(self._start + 1) if self._count >= RUN_LENGTH else None
        self._start, self._first, self._count = index, key, 1
        return None

    def held_from(self) -> int | None:
        return self._start + 1 if self._count >= 2 else None


class LineEndRepetitionJudge(LineJudge):
    """Drops a line that ends in a loop (see :func:`ends_in_repetition`) and ends there."""

    rule = "line_end_repetition"
    reason = "A line ended in a pattern repeated many times: the model was looping."

    def judge(self, index: int, line: str, terminated: bool) -> Cut | None:
        return Cut(index) if ends_in_repetition(line, final=not terminated) else None


def cut_repeated_lines(text: str) -> str:
    """Rule 5a alone: ``text`` up to the first line of a run of near-identical lines."""
    return apply_judges(text, [RepeatedLinesJudge()])


def cut_line_end_repetition(text: str) -> str:
    """Rule 5b alone: ``text`` up to its first line that ends in a repeated pattern."""
    return apply_judges(text, [LineEndRepetitionJudge()])
