"""Server-side clean-up of raw completions: pure rules, whole-text and streaming.

Raw model output runs past the block, repeats itself and re-types the code after the
cursor. Each rule is a small pure function (and a line judge for the streaming
:class:`PostProcessor`); :func:`postprocess` applies them all.
"""

from __future__ import annotations

from codefill.postprocess.context import CompletionContext, CursorPlace, PostprocessOptions
from codefill.postprocess.language_stops import cut_at_language_stops
from codefill.postprocess.processor import PostProcessor, postprocess
from codefill.postprocess.repetition import cut_line_end_repetition, cut_repeated_lines
from codefill.postprocess.report import PostprocessReport
from codefill.postprocess.scope import keep_first_line, limit_scope
from codefill.postprocess.suffix import cut_inline_echo, cut_suffix_echo
from codefill.postprocess.trim import trim_whitespace

__all__ = [
    "CompletionContext",
    "CursorPlace",
    "PostProcessor",
    "PostprocessOptions",
    "PostprocessReport",
    "cut_at_language_stops",
    "cut_inline_echo",
    "cut_line_end_repetition",
    "cut_repeated_lines",
    "cut_suffix_echo",
    "keep_first_line",
    "limit_scope",
    "postprocess",
    "trim_whitespace",
]
