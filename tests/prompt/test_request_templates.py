from __future__ import annotations

import pytest

from codefill.prompt.templates import Template, as_go_template, from_request_template, parts_text

VARIABLES = {"code_prefix": "a", "code_suffix": "b", "code_language": "", "code_file_path": ""}


def test_ollama_fields_map_to_the_variables() -> None:
    template = from_request_template("<PRE> {{ .Prompt }} <SUF>{{.Suffix}} <MID>")
    assert parts_text(template.render(VARIABLES)) == "<PRE> a <SUF>b <MID>"


def test_tabby_prompt_only_template() -> None:
    template = from_request_template("{{ .Prompt }}")
    assert parts_text(template.render(VARIABLES)) == "a"


def test_system_is_template_text() -> None:
    template = from_request_template("{{ .System }}\n{code_prefix}", system="# be brief")
    assert parts_text(template.render(VARIABLES)) == "# be brief\na"


def test_unsupported_actions_are_refused() -> None:
    with pytest.raises(ValueError, match=r"if \.Suffix"):
        from_request_template("{{ if .Suffix }}x{{ end }}")


def test_as_go_template_mentions_suffix_for_fim() -> None:
    fim = Template("<|fim_prefix|>{code_prefix}<|fim_suffix|>{code_suffix}<|fim_middle|>")
    assert ".Suffix" in as_go_template(fim)
    assert ".Suffix" not in as_go_template(Template("{code_prefix}"))
