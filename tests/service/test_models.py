"""The model manager on fake engines: load once, keep-alive, LRU eviction, aliases."""

from __future__ import annotations

import asyncio

import pytest

from codefill.engine.fake import FakeEngine
from codefill.errors import ModelNotFound
from codefill.service.models import ModelManager
from codefill.settings import ModelConfig, Settings

pytestmark = pytest.mark.anyio


def manager(**settings: object) -> tuple[ModelManager, list[str]]:
    loads: list[str] = []
    models = [
        ModelConfig(name=name, path=f"/models/{name}.gguf", aliases=(f"{name}-alias",))
        for name in ("a", "b", "c")
    ]

    def loader(config: ModelConfig, _settings: Settings) -> FakeEngine:
        loads.append(config.name)
        return FakeEngine(config.name)

    resolved = Settings.model_validate({"models": models, **settings})
    return ModelManager(resolved, loader=loader), loads


async def test_concurrent_gets_load_once_and_aliases_resolve() -> None:
    models, loads = manager()
    first, second, third = await asyncio.gather(
        models.get("a"), models.get("a-alias"), models.get("a:latest")
    )
    assert first is second is third and loads == ["a"]
    with pytest.raises(ModelNotFound):
        await models.get("zzz")


async def test_least_recently_used_idle_model_is_evicted() -> None:
    models, loads = manager(max_loaded_models=2)
    await models.get("a")
    await models.get("b")
    await models.get("a")  # b is now the least recently used
    await models.get("c")
    assert {m.name for m in models.loaded()} == {"a", "c"}
    assert loads == ["a", "b", "c"]


async def test_keep_alive_expiry_unloads_and_negative_keeps() -> None:
    models, _ = manager()
    await models.get("a", keep_alive=0.05)
    await models.get("b", keep_alive=-1)
    await asyncio.sleep(0.6)
    assert {m.name for m in models.loaded()} == {"b"}
    assert models.unload("b") is True
    await asyncio.sleep(0.6)
    assert models.loaded() == []
    assert models.unload("c") is False
    await models.close()


async def test_a_failing_load_is_reported_and_can_be_retried() -> None:
    attempts = []

    def loader(config: ModelConfig, _settings: Settings) -> FakeEngine:
        attempts.append(config.name)
        if len(attempts) == 1:
            raise OSError("disk on fire")
        return FakeEngine(config.name)

    settings = Settings.model_validate({"models": [{"name": "a", "path": "/x.gguf"}]})
    models = ModelManager(settings, loader=loader)
    from codefill.errors import ModelLoadError

    with pytest.raises(ModelLoadError, match="disk on fire"):
        await models.get("a")
    assert (await models.get("a")).name == "a"
