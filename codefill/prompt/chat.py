"""Render chat messages through a model's own Jinja chat template (from its GGUF).

Message contents are user text, so they must never turn into control tokens: the template
is rendered with a placeholder in place of each content, and the output is cut at the
placeholders into template parts (special) and content parts (plain).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
import jinja2.meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from codefill.errors import BadRequest
from codefill.prompt.templates import PromptPart

__all__ = ["CHATML_TEMPLATE", "ChatMessage", "render_chat", "uses_tools"]

CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@dataclass(frozen=True)
class ChatMessage:
    role: str
    content: str


def _raise(message: str) -> None:
    raise jinja2.TemplateError(message)


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = _raise
    env.globals["strftime_now"] = lambda fmt: datetime.datetime.now().strftime(fmt)
    return env


_ENV = _environment()


def uses_tools(template: str) -> bool:
    """Whether a chat template has a place for tool descriptions (it reads ``tools``), as
    Ollama decides a model's ``tools`` capability from its template."""
    if not template:
        return False
    try:
        names = jinja2.meta.find_undeclared_variables(_ENV.parse(template))
    except jinja2.TemplateError:
        return False
    return "tools" in names


def render_chat(
    template: str,
    messages: Sequence[ChatMessage],
    *,
    bos_token: str = "",
    eos_token: str = "",
    tools: Sequence[Any] = (),
) -> tuple[PromptPart, ...]:
    """The prompt for ``messages``, ending where the assistant's answer starts; ``tools``
    (JSON objects) go to the template as it renders them, as template text."""
    marker = f"\x00{uuid.uuid4().hex}\x00"
    placeholders = [
        {"role": m.role, "content": f"{marker}{i}{marker}"} for i, m in enumerate(messages)
    ]
    try:
        text = _ENV.from_string(template or CHATML_TEMPLATE).render(
            messages=placeholders,
            add_generation_prompt=True,
            bos_token=bos_token,
            eos_token=eos_token,
            tools=list(tools) or None,
        )
    except jinja2.TemplateError as error:
        message = f"the model's chat template refused the messages: {error}"
        raise BadRequest(message, "messages") from None
    return _split(text, marker, messages)


def _split(text: str, marker: str, messages: Sequence[ChatMessage]) -> tuple[PromptPart, ...]:
    parts: list[PromptPart] = []
    pieces = text.split(marker)
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            if piece:
                parts.append(PromptPart(piece, special=True))
        else:
            content = _content(messages, piece)
            if content:
                parts.append(PromptPart(content, special=False))
    return tuple(parts)


def _content(messages: Sequence[ChatMessage], index: Any) -> str:
    try:
        return messages[int(index)].content
    except (ValueError, IndexError):
        return ""
