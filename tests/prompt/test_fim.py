"""Every FIM family renders the four variables in its own order with its own markers."""

from __future__ import annotations

import pytest

from codefill.prompt.fim import FAMILIES, PREFIX_ONLY, detect_family, family_named, is_templated
from codefill.prompt.templates import Template, parts_text

VARIABLES = {
    "code_language": "Python",
    "code_file_path": "src/app.py",
    "code_prefix": "def add(a, b):\n    ",
    "code_suffix": "\n    return c\n",
}

QWEN = "<|fim_prefix|>def add(a, b):\n    <|fim_suffix|>\n    return c\n<|fim_middle|>"
EXPECTED = {
    "codegemma": QWEN,
    "qwen2.5-coder": QWEN,
    "starcoder": "<fim_prefix>def add(a, b):\n    <fim_suffix>\n    return c\n<fim_middle>",
    "deepseek-coder": (
        "<｜fim▁begin｜>def add(a, b):\n    <｜fim▁hole｜>\n    return c\n<｜fim▁end｜>"
    ),
    "codestral": "[SUFFIX]\n    return c\n[PREFIX]def add(a, b):\n    ",
    "codegeex4": (
        "<|user|>\n###PATH:src/app.py\n###LANGUAGE:Python\n###MODE:BLOCK\n"
        "<|code_suffix|>\n    return c\n<|code_prefix|>def add(a, b):\n    "
        "<|code_middle|><|assistant|>\n"
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_family_rendering(name: str) -> None:
    family = family_named(name)
    assert family is not None
    parts = Template(family.template).render(VARIABLES)
    assert parts_text(parts) == EXPECTED[name]
    # the user's code is never a special part; every marker is
    assert {p.text for p in parts if not p.special} <= set(VARIABLES.values())
    literal = family.template
    for name in VARIABLES:
        literal = literal.replace("{" + name + "}", "")
    assert "".join(p.text for p in parts if p.special) == literal


def test_codellama_keeps_its_spaces() -> None:
    (family, _) = [f for f in FAMILIES if f.name == "codellama"]
    text = parts_text(Template(family.template).render(VARIABLES))
    assert text == "<PRE> def add(a, b):\n     <SUF>\n    return c\n <MID>"


def test_every_family_has_end_and_separator_stops() -> None:
    for family in FAMILIES:
        assert family.stops, family.name
        assert set(family.markers) & set(family.stops) or family.name == "codellama"


def test_detection_picks_the_family_whose_markers_are_control_tokens() -> None:
    qwen = {"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|file_sep|>"}
    assert detect_family(qwen.__contains__).name == "qwen2.5-coder"
    gemma = qwen | {"<|file_separator|>"}
    assert detect_family(gemma.__contains__).name == "codegemma"
    starcoder = {"<fim_prefix>", "<fim_suffix>", "<fim_middle>"}
    assert detect_family(starcoder.__contains__).name == "starcoder"
    assert detect_family({"<|im_start|>"}.__contains__) is PREFIX_ONLY


def test_is_templated() -> None:
    qwen = family_named("qwen2.5-coder")
    assert qwen is not None
    assert is_templated("<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>", qwen)
    assert not is_templated("x = '<|fim_prefix|><|fim_suffix|><|fim_middle|>'", qwen)
    assert not is_templated("<|fim_prefix|>a", qwen)
    assert not is_templated("<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>", PREFIX_ONLY)
