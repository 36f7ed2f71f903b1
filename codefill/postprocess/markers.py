"""Rule 9: the model's own end markers: a Markdown fence, or an end or padding token as text.

An instruct model that finishes its code often closes a Markdown code block (a line of
```` ``` ````) and starts explaining; a model served without its family's stop strings
(a remote upstream, a template of the user's) may write its end-of-text or padding token
as text. Either way the code has ended there.
"""

from __future__ import annotations

import re

from codefill.postprocess.lines import Cut, LineJudge, apply_judges

__all__ = ["END_MARKER", "EndMarkerJudge", "cut_end_markers"]

# Control-token spellings of the FIM families (see prompt/fim.py) and chat templates.
END_MARKER = re.compile(
    r"<\|(?:endoftext|end_of_text|eot_id|im_end|im_start|fim_pad|fim_prefix|fim_suffix|"
    r"fim_middle|file_sep|repo_name|end|user|assistant)\|>"
    r"|<(?:fim_pad|fim_prefix|fim_suffix|fim_middle|file_sep|repo_name|EOT)>|</s>"
    r"|<｜(?:end▁of▁sentence|fim▁hole|fim▁begin|fim▁end)｜>"
)


class EndMarkerJudge(LineJudge):
    """Cuts before a line that opens or closes a Markdown code block (```` ``` ````, at
    any indentation), and before an end or padding token written as text, wherever it
    stands in a line. A fence on the completion's first line is left alone when code
    precedes the cursor: there it may be the user's own Markdown."""

    rule = "end_marker"
    reason = "The model wrote its own end marker: a Markdown fence, or an end-of-text token."

    def judge(self, index: int, line: str, terminated: bool) -> Cut | None:
        found = END_MARKER.search(line) if "<" in line else None
        if found is not None:
            return Cut(index, found.start())
        if index > 0 and line.lstrip().startswith("```"):
            return Cut(index)
        return None


def cut_end_markers(text: str) -> str:
    """Rule 9 alone: ``text`` cut before its first end marker."""
    return apply_judges(text, [EndMarkerJudge()])
