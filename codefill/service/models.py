"""Loaded models: load on first use in a worker thread, pick each model's template and stops."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from codefill.builtin import resolve_builtin
from codefill.engine.base import Engine, ModelInfo
from codefill.engine.cpu import choose_extra_buffers
from codefill.errors import CodefillError, ModelLoadError
from codefill.prompt.chat import uses_tools
from codefill.prompt.fim import PREFIX_ONLY, FimFamily, detect_family, family_named
from codefill.prompt.templates import Template
from codefill.service.registry import ModelRegistry
from codefill.settings import ModelConfig, Settings

__all__ = [
    "EngineLoader",
    "Inspector",
    "LoadedModel",
    "ModelDescription",
    "ModelManager",
    "default_loader",
    "local_inspector",
    "local_loader",
]

log = logging.getLogger("codefill.models")

_YEAR = 365 * 24 * 3600.0

EngineLoader = Callable[[ModelConfig, Settings], Engine]
# A model file's metadata and control-token texts, read without loading its weights.
Inspector = Callable[[ModelConfig, Settings], tuple[ModelInfo, frozenset[str]]]


def default_loader(config: ModelConfig, settings: Settings) -> Engine:
    """The engine a configured model needs: a remote pool or the local llama.cpp engine."""
    if config.is_remote:
        from codefill.engine.remote import RemoteEngine

        return RemoteEngine.create(config, settings)
    return local_loader(config, settings)


def local_loader(config: ModelConfig, settings: Settings) -> Engine:
    """Load a GGUF model into the local llama.cpp engine (blocking): in a worker process of
    its own, or, with ``worker_processes = false``, inside this one."""
    from codefill.engine.local import LocalEngine
    from codefill.engine.process import ProcessEngine

    path = config.path or resolve_builtin(config.builtin or "", Path(settings.cache_dir))
    kind = ProcessEngine if settings.worker_processes else LocalEngine
    return kind.load(
        path,
        name=config.name,
        context_length=config.context_length,
        settings=settings,
    )


def local_inspector(config: ModelConfig, settings: Settings) -> tuple[ModelInfo, frozenset[str]]:
    """Read a local GGUF model's header and vocabulary (blocking)."""
    from codefill.engine.gguf import inspect_gguf

    path = config.path or resolve_builtin(config.builtin or "", Path(settings.cache_dir))
    return inspect_gguf(
        path, name=config.name, context_length=config.context_length, slots=settings.slots
    )


@dataclass(frozen=True)
class ModelDescription:
    """What a model is to the layers above the engine: its configuration, what its file
    says, and the FIM template and stops chosen for it. Read from the file for
    ``/api/show``, or taken from the loaded model."""

    config: ModelConfig
    info: ModelInfo
    template: Template
    family: FimFamily
    stops: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def is_fim(self) -> bool:
        return self.template.uses("code_suffix")

    @property
    def capabilities(self) -> tuple[str, ...]:
        """What the model can do, in Ollama's words and order (``/api/show``): its chat
        template reads ``tools``; its FIM template has a place for the suffix (``insert``)."""
        tools = ("tools",) if uses_tools(self.info.chat_template) else ()
        return ("completion", *tools, *(("insert",) if self.is_fim else ()))


def describe_model(
    config: ModelConfig, info: ModelInfo, has_token: Callable[[str], bool]
) -> ModelDescription:
    """Choose the template: configured first, else the FIM family whose control tokens the
    vocabulary has (``has_token``); the family's stops join the configured ones."""
    if config.family is not None:
        family = family_named(config.family) or PREFIX_ONLY
    else:
        family = detect_family(has_token)
    template = Template(config.template if config.template is not None else family.template)
    stops = tuple(dict.fromkeys((*config.stop, *family.stops)))
    return ModelDescription(config, info, template, family, stops)


@dataclass
class LoadedModel:
    """A described model with its engine, ready to serve, and how long it stays loaded."""

    description: ModelDescription
    engine: Engine
    load_seconds: float
    loaded_at: float = field(default_factory=time.time)
    last_used: float = field(default_factory=time.time)
    expires_at: float | None = None  # None: stays loaded until evicted

    @property
    def config(self) -> ModelConfig:
        return self.description.config

    @property
    def name(self) -> str:
        return self.description.name

    @property
    def template(self) -> Template:
        return self.description.template

    @property
    def family(self) -> FimFamily:
        return self.description.family

    @property
    def stops(self) -> tuple[str, ...]:
        return self.description.stops

    @property
    def is_fim(self) -> bool:
        return self.description.is_fim

    @property
    def capabilities(self) -> tuple[str, ...]:
        return self.description.capabilities


def prepare(config: ModelConfig, engine: Engine, load_seconds: float) -> LoadedModel:
    tokenizer = engine.tokenizer
    description = describe_model(
        config, engine.info, lambda text: tokenizer.special_token(text) is not None
    )
    if description.family is PREFIX_ONLY:
        log.info("model %s: no FIM tokens, prefix-only template", config.name)
    else:
        log.info("model %s: %s FIM template", config.name, description.family.name)
    return LoadedModel(description, engine, load_seconds)


class ModelManager:
    """Owns the loaded models: loads on first use, unloads after ``keep_alive``, evicts LRU.

    Loading runs in a worker thread, so it never blocks requests to models already loaded.
    A model whose keep-alive has run out, or the least recently used one when a load would
    pass ``max_loaded_models``, is unloaded only once it is idle (no job queued or running).
    """

    def __init__(
        self,
        settings: Settings,
        loader: EngineLoader = default_loader,
        inspector: Inspector | None = None,
    ) -> None:
        self.settings = settings
        self.registry = ModelRegistry(settings)
        self._loader = loader
        self._inspector = inspector
        self._described: dict[str, ModelDescription] = {}
        self._loaded: dict[str, LoadedModel] = {}
        self._loading: dict[str, asyncio.Task[LoadedModel]] = {}
        self._reaper: asyncio.Task[None] | None = None
        self._ever_loaded: set[str] = set()

    async def get(self, name: str, keep_alive: float | None = None) -> LoadedModel:
        """The loaded model for a request name (loading it first), with its expiry renewed.

        ``keep_alive`` is in seconds as Ollama means it: negative keeps the model loaded
        until evicted, ``0`` unloads it once idle; ``None`` uses the configured default.
        """
        config = self.registry.resolve(name)
        loaded = self._loaded.get(config.name)
        if loaded is None:
            task = self._loading.get(config.name)
            if task is None:
                task = asyncio.get_running_loop().create_task(self._load(config))
                self._loading[config.name] = task
            loaded = await asyncio.shield(task)
        self._renew(loaded, keep_alive)
        return loaded

    async def describe(self, name: str) -> ModelDescription:
        """A model's template, stops and metadata. A model that is not loaded is read from
        its file (with the ``inspector``, once) rather than loaded: clients such as
        llm-ollama describe every model they list. Without an inspector, or for a remote
        model, it is loaded."""
        config = self.registry.resolve(name)
        loaded = self._loaded.get(config.name)
        if loaded is None and (self._inspector is None or config.is_remote):
            loaded = await self.get(name)
        if loaded is not None:
            return loaded.description
        described = self._described.get(config.name)
        if described is None:
            inspector = self._inspector
            assert inspector is not None
            try:
                info, specials = await asyncio.to_thread(inspector, config, self.settings)
            except CodefillError:
                raise
            except Exception as error:  # llama.cpp or the file system, at the edge
                raise ModelLoadError(f"model '{config.name}' cannot be read: {error}") from error
            described = describe_model(config, info, specials.__contains__)
            self._described[config.name] = described
        return described

    def engine_notes(self, name: str) -> dict[str, str | bool]:
        """What a local model's engine chose and why (llama.cpp's extra buffer types): the
        loaded engine's own notes, or, not loaded, what it would start with."""
        config = self.registry.resolve(name)
        loaded = self._loaded.get(config.name)
        if loaded is not None:
            return loaded.engine.health().notes
        if config.is_remote:
            return {}
        settings = self.settings
        return choose_extra_buffers(settings.extra_buffer_types, settings.cpuinfo_path).notes()

    def unload(self, name: str) -> bool:
        """Unload a model as soon as it is idle; False when it was not loaded."""
        config = self.registry.resolve(name)
        loaded = self._loaded.get(config.name)
        if loaded is None:
            return False
        loaded.expires_at = time.time()
        self._ensure_reaper()
        return True

    async def add_model(self, config: ModelConfig) -> None:
        """Serve a model just pulled; a loaded one of that name with another file is unloaded
        (a pull again of the same file keeps it loaded)."""
        self.registry.add(config)
        await self._forget(config.name, keep=config)

    async def remove_model(self, name: str) -> ModelConfig:
        """Stop serving a pulled model, unloading it first (its running answers end)."""
        config = self.registry.remove(name)
        await self._forget(config.name)
        return config

    async def _forget(self, name: str, keep: ModelConfig | None = None) -> None:
        """Drop what is known of a model's file; unload it unless it is loaded as ``keep``."""
        self._described.pop(name, None)
        loaded = self._loaded.get(name)
        if loaded is not None and loaded.config != keep:
            await self._close(loaded)

    def _renew(self, loaded: LoadedModel, keep_alive: float | None) -> None:
        seconds = self.settings.keep_alive_seconds if keep_alive is None else keep_alive
        loaded.last_used = time.time()
        # negative, or longer than anyone means (a year), is "until evicted"
        forever = seconds < 0 or seconds > _YEAR
        loaded.expires_at = None if forever else loaded.last_used + seconds
        if loaded.expires_at is not None:
            self._ensure_reaper()

    async def _load(self, config: ModelConfig) -> LoadedModel:
        started = time.perf_counter()
        try:
            await self._make_room()
            engine = await asyncio.to_thread(self._loader, config, self.settings)
            loaded = prepare(config, engine, time.perf_counter() - started)
        except CodefillError:
            raise
        except Exception as error:  # llama.cpp or the file system, at the edge
            raise ModelLoadError(f"model '{config.name}' failed to load: {error}") from error
        finally:
            self._loading.pop(config.name, None)
        self._loaded[config.name] = loaded
        self._ever_loaded.add(config.name)
        log.info("model %s loaded in %.2fs", config.name, loaded.load_seconds)
        return loaded

    async def _make_room(self) -> None:
        """Unload idle models, least recently used first, until a new one fits the limit."""
        limit = self.settings.max_loaded_models
        for loaded in sorted(self._loaded.values(), key=lambda m: m.last_used):
            if len(self._loaded) < limit:
                return
            if _idle(loaded):
                await self._close(loaded)

    def _ensure_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.get_running_loop().create_task(self._reap())

    async def _reap(self) -> None:
        """Unload models whose keep-alive ran out, once they are idle; stop when none expire."""
        while any(m.expires_at is not None for m in self._loaded.values()):
            now = time.time()
            for loaded in list(self._loaded.values()):
                if loaded.expires_at is not None and loaded.expires_at <= now and _idle(loaded):
                    await self._close(loaded)
            await asyncio.sleep(0.25)

    async def _close(self, loaded: LoadedModel) -> None:
        if self._loaded.get(loaded.name) is loaded:
            del self._loaded[loaded.name]
            log.info("model %s unloaded", loaded.name)
            await asyncio.to_thread(loaded.engine.close)

    def loaded(self) -> list[LoadedModel]:
        return list(self._loaded.values())

    def is_loaded(self, name: str) -> bool:
        return name in self._loaded

    def ever_loaded(self, name: str) -> bool:
        """Whether the model has finished loading at least once (it may be unloaded now)."""
        return name in self._ever_loaded

    async def close(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        for task in list(self._loading.values()):
            task.cancel()
        for loaded in list(self._loaded.values()):
            await asyncio.to_thread(loaded.engine.close)
        self._loaded.clear()


def _idle(loaded: LoadedModel) -> bool:
    stats = loaded.engine.stats()
    return stats.get("busy_slots", 0) == 0 and stats.get("queued", 0) == 0
