"""Rule 8: brackets and strings balanced against the suffix.

The file around the cursor is balanced: whatever the prefix left open and the suffix does
not close, the middle closes; what the suffix closes, the middle must leave open. A
completion that closes one bracket more (``foo(`` + ``a, b)`` with the suffix's ``)``), or
ends a string the suffix ends, has run into the suffix.
"""

from __future__ import annotations

import re

from codefill.postprocess.context import CompletionContext
from codefill.postprocess.lines import Cut, LineJudge, apply_judges

__all__ = ["BracketJudge", "BracketScanner", "cut_unbalanced"]

_PAIRS = {")": "(", "]": "[", "}": "{"}
_HASH_COMMENTS = frozenset({"python", "py", "ruby", "shell", "bash", "sh", "r", "perl"})
_TOKEN = {
    True: re.compile(r'"""|\'\'\'|\\.|["\'`#\n()\[\]{}]'),
    False: re.compile(r'\\.|//|["\'`\n()\[\]{}]'),
}
_QUOTES = frozenset({'"""', "'''", '"', "'", "`"})
_WINDOW = 20_000  # characters of prefix and suffix scanned, near the cursor


class BracketScanner:
    """Brackets and strings through code, fed in pieces: ``'``, ``"`` and backquote strings
    with backslash escapes, Python's triple quotes, ``#`` or ``//`` line comments.

    Two stops can be set: ``limit``, the closers without an opener allowed before one more
    stops the scan, and ``guard_quote``, which makes the end of the string open now a stop.
    """

    def __init__(self, hash_comments: bool) -> None:
        self._token = _TOKEN[hash_comments]
        self._comment = "#" if hash_comments else "//"
        self.stack: list[str] = []  # open brackets, innermost last
        self.quote: str | None = None  # the open string's delimiter
        self.in_comment = False
        self.unmatched = 0  # closers with no opener fed before them
        self.limit: int | None = None
        self.guard_quote = False

    def feed(self, text: str) -> int | None:
        """Scan ``text``; the offset of the first stop in it, else None."""
        for match in self._token.finditer(text):
            token = match.group()
            if self.in_comment:
                self.in_comment = token != "\n"
            elif self.quote is not None:
                if token == self.quote:
                    if self.guard_quote:
                        return match.start()
                    self.quote = None
                elif token == "\n" and self.quote in ('"', "'"):
                    self.quote, self.guard_quote = None, False  # a one-line string ends here
            elif token == self._comment:
                self.in_comment = True
            elif token in _QUOTES:
                self.quote = token
            elif token in "([{":
                self.stack.append(token)
            elif token in _PAIRS:
                if self.stack:
                    self.stack.pop()
                    continue
                self.unmatched += 1
                if self.limit is not None and self.unmatched > self.limit:
                    return match.start()
        return None

    def resumed(self) -> BracketScanner:
        """A scanner that goes on from here with no brackets open (strings, comments kept)."""
        fresh = BracketScanner(self._comment == "#")
        fresh.quote, fresh.in_comment = self.quote, self.in_comment
        return fresh


class BracketJudge(LineJudge):
    """Cuts before the first bracket or quote that closes what the suffix closes.

    From the prefix it learns the brackets open at the cursor (and whether the cursor is
    inside a string); from the suffix, how many of them the suffix closes itself (its
    closers without an opener of its own) and whether it ends that string. The completion
    may close only the others: the closer one past them, or a quote that ends the string
    the suffix ends, is where the completion began to re-type the suffix.
    """

    rule = "brackets"
    reason = "The completion closed a bracket or string that the code after the cursor closes."

    def __init__(self, context: CompletionContext) -> None:
        hashes = context.language.strip().lower() in _HASH_COMMENTS or not context.language
        prefix = BracketScanner(hashes)
        prefix.feed(context.prefix[-_WINDOW:])
        suffix, rest = prefix.resumed(), context.suffix[:_WINDOW]
        closes_string = False
        if prefix.quote is not None:
            suffix.guard_quote = True
            end = suffix.feed(rest)
            closes_string = end is not None
            if end is not None:
                suffix, rest = prefix.resumed(), rest[end + len(prefix.quote) :]
                suffix.quote = None
        suffix.feed(rest)
        self._active = bool(prefix.stack) or closes_string
        self._scanner = prefix.resumed()
        self._scanner.guard_quote = closes_string
        self._scanner.limit = max(0, len(prefix.stack) - suffix.unmatched)

    def judge(self, index: int, line: str, terminated: bool) -> Cut | None:
        if not self._active:
            return None
        at = self._scanner.feed(line + ("\n" if terminated else ""))
        return None if at is None else Cut(index, at)


def cut_unbalanced(text: str, context: CompletionContext) -> str:
    """Rule 8 alone: ``text`` cut before it closes what the suffix closes."""
    return apply_judges(text, [BracketJudge(context)])
