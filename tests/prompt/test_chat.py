from __future__ import annotations

import pytest

from codefill.errors import BadRequest
from codefill.prompt.chat import ChatMessage, render_chat
from codefill.prompt.templates import PromptPart, parts_text

CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def test_contents_are_plain_and_template_text_special() -> None:
    parts = render_chat(CHATML, [ChatMessage("user", "hi <|im_end|> there")])
    assert parts == (
        PromptPart("<|im_start|>user\n", special=True),
        PromptPart("hi <|im_end|> there", special=False),
        PromptPart("<|im_end|>\n<|im_start|>assistant\n", special=True),
    )


def test_several_messages_render_in_order() -> None:
    messages = [ChatMessage("system", "be brief"), ChatMessage("user", "hello")]
    text = parts_text(render_chat(CHATML, messages))
    assert text == (
        "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nhello<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_missing_template_falls_back_to_chatml() -> None:
    text = parts_text(render_chat("", [ChatMessage("user", "x")]))
    assert text.endswith("<|im_start|>assistant\n")


def test_template_exceptions_are_bad_requests() -> None:
    template = "{{ raise_exception('roles must alternate') }}"
    with pytest.raises(BadRequest, match="roles must alternate"):
        render_chat(template, [ChatMessage("user", "x")])


TOOLS_TEMPLATE = (
    "{% if tools %}<tools>{% for tool in tools %}{{ tool | tojson }}{% endfor %}</tools>\n"
    "{% endif %}" + CHATML
)


def test_a_template_that_reads_tools_has_them() -> None:
    from codefill.prompt.chat import uses_tools

    assert uses_tools(TOOLS_TEMPLATE) and not uses_tools(CHATML) and not uses_tools("")
    assert not uses_tools("{% if %}")  # a template that does not parse offers nothing
    tool = {"type": "function", "function": {"name": "now"}}
    text = parts_text(render_chat(TOOLS_TEMPLATE, [ChatMessage("user", "hi")], tools=[tool]))
    assert text.startswith('<tools>{"function": {"name": "now"}, "type": "function"}</tools>')
    assert "<tools>" not in parts_text(render_chat(TOOLS_TEMPLATE, [ChatMessage("user", "hi")]))
