"""What post-processing removed from a completion, which rule did it, and why.

A user who sees a short completion wants to know whether the model stopped or a rule cut
it; the playground shows this report beside the editor.
"""

from __future__ import annotations

from dataclasses import dataclass

from codefill.postprocess.lines import LineJudge

__all__ = ["TRIM_REASON", "TRIM_RULE", "PostprocessReport", "build_report"]

TRIM_RULE = "trim"
TRIM_REASON = "Trailing whitespace is dropped, keeping what the code after the cursor needs."


@dataclass(frozen=True)
class PostprocessReport:
    """The rule that cut (``trim`` when only whitespace went), its reason, and the raw
    text that was generated but not shown."""

    rule: str
    reason: str
    removed: str


def build_report(raw: str, kept: str, cut_by: LineJudge | None) -> PostprocessReport | None:
    """The report for a completion generated as ``raw`` and shown as ``kept``; None when
    nothing was removed.

    The rules only ever keep a start of the raw text (trimming may keep a shorter
    indentation after a dropped blank line), so what was removed is the raw text after
    the longest start the two share.
    """
    if raw == kept and cut_by is None:
        return None
    shared = _shared_start(raw, kept)
    removed = raw[shared:]
    if cut_by is not None:
        return PostprocessReport(cut_by.rule, cut_by.reason, removed)
    if not removed:
        return None
    return PostprocessReport(TRIM_RULE, TRIM_REASON, removed)


def _shared_start(a: str, b: str) -> int:
    length = min(len(a), len(b))
    for index in range(length):
        if a[index] != b[index]:
            return index
    return length
