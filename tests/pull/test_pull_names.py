"""Parsing what the user asks to pull, picking a repository's file, and the registry's
pulled models."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from codefill.engine.fake import FakeEngine
from codefill.errors import BadRequest, ModelNotFound
from codefill.service.models import ModelManager
from codefill.service.pull_names import Reference, parse_reference, pick_gguf
from codefill.service.pulled import (
    Manifest,
    delete_pulled,
    model_dir,
    pulled_models,
    write_manifest,
)
from codefill.service.registry import ModelRegistry
from codefill.settings import ModelConfig, Settings


def test_references() -> None:
    assert parse_reference(" hf.co/org/repo:Q4_K_M ") == Reference(
        "org/repo:Q4_K_M",
        ("hf.co/org/repo:Q4_K_M", "huggingface.co/org/repo:Q4_K_M"),
        repo="org/repo",
        quant="Q4_K_M",
    )
    assert parse_reference("huggingface.co/org/repo:latest").name == "org/repo"
    url = parse_reference("https://huggingface.co/org/repo/blob/main/dir/x-Q8_0.gguf")
    assert url.name == "x-Q8_0" and url.url.endswith("/org/repo/resolve/main/dir/x-Q8_0.gguf")
    for bad in ("repo-only", "org/repo:a:b", "https://example.com/x.bin", "a/b/c"):
        with pytest.raises(BadRequest):
            parse_reference(bad)


def test_picking_a_file_by_its_quant() -> None:
    files = [
        "README.md",
        "m-IQ4_K_M.gguf",
        "m-Q4_K_M.gguf",
        "big/m-Q8_0-00001-of-00002.gguf",
        "mmproj-m-Q4_K_M.gguf",
        "m-q8_0.gguf",
    ]
    assert pick_gguf(files, parse_reference("o/r:q4_k_m")) == "m-Q4_K_M.gguf"
    assert pick_gguf(files, parse_reference("o/r")) == "m-Q4_K_M.gguf"  # Ollama's default
    assert pick_gguf(files, parse_reference("o/r:Q8_0")) == "m-q8_0.gguf"
    with pytest.raises(LookupError, match=r"its GGUFs are m-IQ4_K_M\.gguf, m-Q4_K_M\.gguf"):
        pick_gguf(files, parse_reference("o/r:Q2_K"))
    with pytest.raises(LookupError, match="no single-file GGUF"):
        pick_gguf(["README.md", "m-00001-of-00002.gguf"], parse_reference("o/r"))
    assert pick_gguf(["only-F16.gguf"], parse_reference("o/r")) == "only-F16.gguf"
    with pytest.raises(LookupError):
        pick_gguf(["a-F16.gguf", "a-Q8_0.gguf"], parse_reference("o/r"))


def pulled(models: Path, name: str, aliases: tuple[str, ...] = ()) -> ModelConfig:
    directory = model_dir(models, name)
    directory.mkdir(parents=True)
    (directory / "m.gguf").write_bytes(b"GGUF")
    write_manifest(directory, Manifest(name, aliases, "", "m.gguf", "", 4, ""))
    return ModelConfig(name=name, aliases=aliases, path=str(directory / "m.gguf"))


def test_the_registry_finds_pulled_models_at_start_and_later(tmp_path: Path) -> None:
    first = pulled(tmp_path, "org/a:Q4", ("hf.co/org/a:Q4",))
    pulled(tmp_path, "default")  # a built-in name wins over a pulled one
    (tmp_path / "half").mkdir()  # no manifest: not a model
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "manifest.json").write_text("{")
    registry = ModelRegistry(Settings(models_dir=str(tmp_path)))
    assert registry.resolve("hf.co/org/a:Q4") == first
    assert registry.resolve("default").path is None
    second = pulled(tmp_path, "org/b")  # `codefill pull` beside a running server
    assert registry.resolve("org/b:latest") == second
    with pytest.raises(BadRequest, match="taken by a configured or built-in model"):
        registry.add(ModelConfig(name="default", path="/x.gguf"))
    with pytest.raises(BadRequest, match="cannot be deleted"):
        registry.remove("default")
    assert registry.remove("org/a:Q4") == first
    delete_pulled(tmp_path, "org/a:Q4")
    with pytest.raises(ModelNotFound):
        registry.resolve("hf.co/org/a:Q4")
    assert [config.name for config in pulled_models(tmp_path)] == ["default", "org/b"]
    delete_pulled(tmp_path, "org/b")  # `codefill rm` beside a running server
    registry.refresh()
    assert "org/b" not in [config.name for config in registry.all()]


def test_the_manager_unloads_a_model_that_is_deleted_or_pulled_anew(tmp_path: Path) -> None:
    config = pulled(tmp_path, "org/a")
    settings = Settings(models_dir=str(tmp_path))
    manager = ModelManager(settings, loader=lambda c, _: FakeEngine(c.name, "hi"))

    async def scenario() -> None:
        await manager.get("org/a")
        await manager.add_model(config)  # the same file: stays loaded
        assert manager.is_loaded("org/a")
        await manager.add_model(config.model_copy(update={"path": "/elsewhere.gguf"}))
        assert not manager.is_loaded("org/a")
        await manager.get("org/a")
        assert (await manager.remove_model("org/a")).name == "org/a"
        assert not manager.is_loaded("org/a")
        await manager.close()

    asyncio.run(scenario())
