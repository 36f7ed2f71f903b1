from __future__ import annotations

from pathlib import Path

import pytest

from codefill.errors import ConfigError
from codefill.settings import load_settings


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "codefill.toml"
    path.write_text(text)
    return str(path)


def test_defaults_without_any_configuration() -> None:
    settings = load_settings(None, environ={})
    assert (settings.host, settings.port, settings.models) == ("127.0.0.1", 8080, ())
    assert settings.thread_count >= 1


def test_models_are_read_and_relative_paths_resolved(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        '[[models]]\nname = "m"\npath = "models/m.gguf"\nstop = ["\\n\\n"]\n'
        'context_length = 2048\ntemplate = "{code_prefix}"\n',
    )
    (model,) = load_settings(config, environ={}).models
    assert model.path == str(tmp_path / "models" / "m.gguf")
    assert (model.stop, model.context_length, model.template) == (("\n\n",), 2048, "{code_prefix}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("prot = 1\n", "prot: unknown key"),
        ('port = "eighty"\n', "port: Input should be a valid integer"),
        ('[[models]]\nname = "m"\npath = "a"\ncontex = 1\n', "models[0].contex: unknown key"),
        ('[[models]]\nname = "m"\n', "models[0]: give exactly one of 'path'"),
        ('[[models]]\nname = "m"\npath = "a"\n[[models]]\nname = "m"\npath = "b"\n', "twice"),
        ('[[models]]\nname = "m"\npath = "a"\ncontext_length = 3\n', "models[0].context_length"),
        ("port = \n", "not valid TOML"),
        ('[[models]]\nname = "m"\nbuiltin = "gpt-5"\n', "unknown built-in model 'gpt-5'"),
        ('keep_alive = "soon"\n', "keep_alive"),
    ],
)
def test_bad_files_name_the_key_and_why(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        load_settings(write(tmp_path, text), environ={})


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(str(tmp_path / "nope.toml"), environ={})


def test_precedence_file_then_environment_then_flags(tmp_path: Path) -> None:
    config = write(tmp_path, 'port = 1000\nhost = "0.0.0.0"\nthreads = 3\n')
    environ = {"CODEFILL_CONFIG": config, "CODEFILL_PORT": "2000", "CODEFILL_THREADS": "5"}
    settings = load_settings(None, environ=environ, overrides={"port": 3000, "host": None})
    assert (settings.port, settings.host, settings.threads) == (3000, "0.0.0.0", 5)


def test_bad_environment_value() -> None:
    with pytest.raises(ConfigError, match="CODEFILL_PORT"):
        load_settings(None, environ={"CODEFILL_PORT": "x"})
