"""Parse a seed-format prompt into the four template variables.

The rules, in order (docs/prompt-format.md explains them with examples):

1. **Header.** The prompt may open with the lines ``# Language: X`` and ``# Path: Y``, in
   either order, each at most once. A header line is ``#``, optional spaces, the key (any
   case), optional spaces, ``:``, and the value up to the end of the line; the value is
   stripped of surrounding spaces and tabs. The line break ending a header line belongs to the
   header. The header ends at the first line that is not a header line.
2. **Markers.** The rest is code, split by the markers ``<SUF>`` and ``<MID>`` in one of two
   forms, each with its own spacing:

   - the seed's form, ``PREFIX <SUF> SUFFIX <MID>``: one space (U+0020) directly before and
     one directly after each marker belong to the marker;
   - CodeLlama's infill form, recognised by ``<PRE>`` opening the code,
     ``<PRE> PREFIX <SUF>SUFFIX <MID>`` (what cmp-ai and other Ollama plugins send, spaced as
     CodeLlama was trained): the space after ``<PRE>`` and the one before ``<SUF>`` and before
     ``<MID>`` belong to the markers, nothing after ``<SUF>`` does.

   All other whitespace is code. ``<MID>`` may be left out (the suffix then runs to the
   end), and ``<SUF>`` may be left out (``PREFIX <MID>`` means an empty suffix). A prompt
   without markers is all prefix.
3. **Refused.** A marker given twice, ``<MID>`` before ``<SUF>``, or anything but whitespace
   after ``<MID>`` is a bad request: guessing would silently complete the wrong text.
4. **Language.** When the header has no language, it is inferred from the path's file name
   or extension (``sort.py`` gives ``Python``); when there is no path either, it is empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codefill.errors import BadRequest
from codefill.prompt.languages import language_for_path

__all__ = ["MID", "PRE", "SUF", "CodeContext", "parse_prompt"]

PRE = "<PRE>"
SUF = "<SUF>"
MID = "<MID>"

_HEADER_LINE = re.compile(r"#[ \t]*(language|path)[ \t]*:(.*?)(?:\r?\n|\Z)", re.IGNORECASE)


@dataclass(frozen=True)
class CodeContext:
    """The four template variables: where the cursor is, in which file and language."""

    language: str = ""
    file_path: str = ""
    prefix: str = ""
    suffix: str = ""

    def variables(self) -> dict[str, str]:
        return {
            "code_language": self.language,
            "code_file_path": self.file_path,
            "code_prefix": self.prefix,
            "code_suffix": self.suffix,
        }


def parse_prompt(prompt: str) -> CodeContext:
    """Split a seed-format prompt into header values, prefix and suffix."""
    header, code = _split_header(prompt)
    codellama = code.startswith(PRE)
    if codellama:
        code = _drop_one_space(code[len(PRE) :], at_start=True)
        if PRE in code:
            raise BadRequest(f"the prompt holds {PRE} more than once", param="prompt")
    prefix, suffix = _split_markers(code, codellama=codellama)
    path = header.get("path", "")
    language = header.get("language", "") or language_for_path(path)
    return CodeContext(language=language, file_path=path, prefix=prefix, suffix=suffix)


def _split_header(prompt: str) -> tuple[dict[str, str], str]:
    header: dict[str, str] = {}
    position = 0
    while position < len(prompt):
        match = _HEADER_LINE.match(prompt, position)
        if match is None:
            break
        key = match.group(1).lower()
        if key in header:
            break
        header[key] = match.group(2).strip(" \t")
        position = match.end()
    return header, prompt[position:]


def _split_markers(code: str, *, codellama: bool) -> tuple[str, str]:
    """Prefix and suffix; in CodeLlama's form no space after ``<SUF>`` belongs to it."""
    for marker in (SUF, MID):
        if code.count(marker) > 1:
            raise BadRequest(f"the prompt holds {marker} more than once", param="prompt")
    suf_at = code.find(SUF)
    mid_at = code.find(MID)
    if suf_at < 0 and mid_at < 0:
        return code, ""
    if suf_at >= 0 and 0 <= mid_at < suf_at:
        raise BadRequest(f"{MID} comes before {SUF} in the prompt", param="prompt")
    if mid_at >= 0:
        tail = _drop_one_space(code[mid_at + len(MID) :], at_start=True)
        if tail.strip():
            raise BadRequest(f"the prompt has text after {MID}", param="prompt")
        code = _drop_one_space(code[:mid_at], at_start=False)
    if suf_at < 0:
        return code, ""
    prefix = _drop_one_space(code[:suf_at], at_start=False)
    suffix = code[suf_at + len(SUF) :]
    return prefix, suffix if codellama else _drop_one_space(suffix, at_start=True)


def _drop_one_space(text: str, *, at_start: bool) -> str:
    if at_start:
        return text[1:] if text.startswith(" ") else text
    return text[:-1] if text.endswith(" ") else text
