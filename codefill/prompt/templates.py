"""Render a prompt template into parts, keeping user text apart from template markers.

A template is plain text with the placeholders ``{code_language}``, ``{code_file_path}``,
``{code_prefix}`` and ``{code_suffix}``; every other character, braces included, is literal.
Rendering returns a tuple of :class:`PromptPart`: the template's own text is tokenized with
special tokens recognised (so ``<|fim_prefix|>`` in a template is one FIM token), while the
variables' values are tokenized as plain text, so a user who types ``<|im_start|>`` gets
those characters, never the control token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "PREFIX_ONLY_TEMPLATE",
    "VARIABLES",
    "PromptPart",
    "Template",
    "as_go_template",
    "from_request_template",
    "parts_text",
    "plain",
]

VARIABLES = ("code_language", "code_file_path", "code_prefix", "code_suffix")
PREFIX_ONLY_TEMPLATE = "{code_prefix}"

_PLACEHOLDER = re.compile(r"\{(code_[A-Za-z0-9_]*)\}")
_GO_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
_GO_FIELDS = {".Prompt": "{code_prefix}", ".Suffix": "{code_suffix}", ".System": ""}


@dataclass(frozen=True)
class PromptPart:
    """A run of prompt text; ``special`` says whether control-token spellings in it count.

    ``variable`` names the template variable the text came from ("" for template text), so
    token healing can find where ``{code_prefix}`` ends: the cursor.
    """

    text: str
    special: bool = False
    variable: str = field(default="", compare=False)


def plain(text: str) -> tuple[PromptPart, ...]:
    """A prompt made only of user text (raw mode)."""
    return (PromptPart(text, special=False),) if text else ()


def parts_text(parts: Iterable[PromptPart]) -> str:
    """The text the model is given, as one string."""
    return "".join(part.text for part in parts)


class Template:
    """A parsed template; construction raises ``ValueError`` naming an unknown placeholder."""

    def __init__(self, source: str) -> None:
        unknown = sorted(
            {m.group(1) for m in _PLACEHOLDER.finditer(source) if m.group(1) not in VARIABLES}
        )
        if unknown:
            names = ", ".join("{" + name + "}" for name in unknown)
            known = ", ".join("{" + name + "}" for name in VARIABLES)
            raise ValueError(f"unknown placeholder {names}; the variables are {known}")
        self.source = source
        self._pieces = _PLACEHOLDER.split(source)

    def uses(self, variable: str) -> bool:
        return "{" + variable + "}" in self.source

    def render(self, variables: Mapping[str, str]) -> tuple[PromptPart, ...]:
        parts: list[PromptPart] = []
        for index, piece in enumerate(self._pieces):
            is_variable = index % 2 == 1
            text = variables.get(piece, "") if is_variable else piece
            if text:
                name = piece if is_variable else ""
                parts.append(PromptPart(text, special=not is_variable, variable=name))
        return tuple(parts)

    def __repr__(self) -> str:
        return f"Template({self.source!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Template) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)


def from_request_template(source: str, system: str = "") -> Template:
    """A per-request template: codefill's placeholders, or Ollama's ``{{ .Prompt }}`` style.

    Of Ollama's Go templates only the plain fields are understood: ``{{ .Prompt }}`` is the
    code before the cursor, ``{{ .Suffix }}`` the code after it and ``{{ .System }}`` the
    request's ``system`` text (inserted as template text). Anything else (``if``, ``range``)
    raises ``ValueError``: a template we cannot follow must not be half applied.
    """

    def replace(match: re.Match[str]) -> str:
        field = match.group(1)
        if field not in _GO_FIELDS:
            raise ValueError(f"unsupported template action {{{{ {field} }}}}")
        return system if field == ".System" else _GO_FIELDS[field]

    return Template(_GO_ACTION.sub(replace, source))


def as_go_template(template: Template) -> str:
    """The template in Ollama's syntax, for ``/api/show`` (clients look for ``.Suffix``)."""
    text = template.source.replace("{code_prefix}", "{{ .Prompt }}")
    return text.replace("{code_suffix}", "{{ .Suffix }}")
