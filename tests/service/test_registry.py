"""Model names: defaults, aliases, empty names, and start-up checks of templates and families."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codefill.errors import ConfigError, ModelNotFound
from codefill.service.registry import DEFAULT_MODEL, ModelRegistry, check_models
from codefill.settings import Settings, load_settings


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


def test_an_empty_name_is_the_default_model() -> None:
    registry = ModelRegistry(Settings())
    assert registry.resolve("").name == DEFAULT_MODEL
    assert registry.resolve("gpt-3.5-turbo").name == DEFAULT_MODEL
    assert registry.resolve("smollm2:latest").name == DEFAULT_MODEL
    with pytest.raises(ModelNotFound, match="'nope'"):
        registry.resolve("nope")
