"""The line machine every rule plugs into: judges see whole lines in order and may end the text.

Rules are written as :class:`LineJudge` objects that look at one complete line at a time
and never at lines after it, so the whole-text and the streaming versions make the same
decisions: the streaming one simply calls them as lines arrive.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

__all__ = ["Cut", "LineJudge", "LineRunner", "apply_judges"]


@dataclass(frozen=True, order=True)
class Cut:
    """Where the completion ends: the first ``keep`` characters of line ``line`` stay.

    ``newline`` keeps that line's newline too. ``Cut(3)`` drops line 3 and all after it.
    Cuts order by position, so the earliest of several wins.
    """

    line: int
    keep: int = 0
    newline: bool = False


class LineJudge(abc.ABC):
    """One rule, fed the completion's lines in order (without their newlines).

    ``rule`` names it and ``reason`` says in one sentence why it cuts, for the report of
    what post-processing removed (see ``report.py``).
    """

    rule: ClassVar[str]
    reason: ClassVar[str]

    @abc.abstractmethod
    def judge(self, index: int, line: str, terminated: bool) -> Cut | None:
        """A cut at or before line ``index``, or None to keep it.

        ``terminated`` is False only for the last line of a finished completion. A judge may
        cut before ``index`` only after lines it reported through :meth:`held_from`.
        """

    def held_from(self) -> int | None:
        """The first line this judge might still remove when later lines arrive, if any."""
        return None

    def overrule(self, cut: Cut) -> Cut:
        """The cut to take instead of ``cut``, which another judge made while this one
        holds lines (see :meth:`held_from`) for a decision of its own; by default ``cut``."""
        return cut


class LineRunner:
    """Runs judges over lines as they complete, keeping what they allow."""

    def __init__(self, judges: Sequence[LineJudge]) -> None:
        self._judges = tuple(judges)
        self._lines: list[str] = []  # kept lines, each with its newline when it had one
        self._firm_count = 0
        self._firm = ""
        self.cut: Cut | None = None
        self.cut_by: LineJudge | None = None  # the judge whose cut won
        self._cut_line = ""

    def take(self, line: str, terminated: bool) -> bool:
        """Judge the next line; True once the completion is over (then ignore further lines)."""
        if self.cut is not None:
            return True
        index = len(self._lines)
        cuts = [(c, j) for j in self._judges if (c := j.judge(index, line, terminated)) is not None]
        if cuts:
            self.cut, self.cut_by = min(cuts, key=lambda found: found[0])
            for judge in self._judges:
                if judge is self.cut_by or judge.held_from() is None:
                    continue
                if (ruled := judge.overrule(self.cut)) != self.cut:
                    self.cut, self.cut_by = ruled, judge
            self._cut_line = line if self.cut.line == index else ""
            return True
        self._lines.append(line + "\n" if terminated else line)
        return False

    def firm_text(self) -> str:
        """Kept text that no judge can take back any more."""
        if self.cut is not None:
            return self.text()
        limit = len(self._lines)
        for judge in self._judges:
            held = judge.held_from()
            if held is not None:
                limit = min(limit, held)
        if limit > self._firm_count:
            self._firm += "".join(self._lines[self._firm_count : limit])
            self._firm_count = limit
        return self._firm

    def text(self) -> str:
        """Everything kept so far, or the final text once a judge has cut."""
        cut = self.cut
        if cut is None:
            return "".join(self._lines)
        kept = "".join(self._lines[: cut.line])
        if cut.keep or cut.newline:
            line = self._cut_line if cut.line == len(self._lines) else self._lines[cut.line]
            kept += line.rstrip("\n")[: cut.keep] + ("\n" if cut.newline else "")
        return kept


def apply_judges(text: str, judges: Sequence[LineJudge]) -> str:
    """Run ``judges`` over a whole completion; the rules' pure ``str -> str`` forms use this."""
    runner = LineRunner(judges)
    *complete, last = text.split("\n")
    for line in complete:
        if runner.take(line, terminated=True):
            return runner.text()
    runner.take(last, terminated=False)
    return runner.text()
