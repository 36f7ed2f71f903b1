from __future__ import annotations

import pytest

from codefill.prompt.templates import PromptPart, Template, parts_text, plain


def test_render_keeps_template_text_special_and_values_plain() -> None:
    template = Template("<|fim_prefix|>{code_prefix}<|fim_suffix|>{code_suffix}<|fim_middle|>")
    parts = template.render({"code_prefix": "a<|im_start|>", "code_suffix": "b"})
    assert parts == (
        PromptPart("<|fim_prefix|>", special=True),
        PromptPart("a<|im_start|>", special=False),
        PromptPart("<|fim_suffix|>", special=True),
        PromptPart("b", special=False),
        PromptPart("<|fim_middle|>", special=True),
    )


def test_all_four_variables_and_literal_braces() -> None:
    template = Template("// {code_file_path} ({code_language})\n{x} {code_prefix}|{code_suffix}")
    text = parts_text(
        template.render(
            {
                "code_language": "Go",
                "code_file_path": "m.go",
                "code_prefix": "p",
                "code_suffix": "s",
            }
        )
    )
    assert text == "// m.go (Go)\n{x} p|s"


def test_empty_values_leave_no_parts() -> None:
    assert Template("{code_prefix}").render({"code_prefix": ""}) == ()


def test_unknown_placeholder_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="code_langauge"):
        Template("{code_langauge}")


def test_uses() -> None:
    assert Template("{code_prefix}{code_suffix}").uses("code_suffix")
    assert not Template("{code_prefix}").uses("code_suffix")


def test_plain() -> None:
    assert plain("x") == (PromptPart("x"),)
    assert plain("") == ()
