"""Describe models for listings (``/api/tags``, ``/api/ps``, ``/models``) without loading them."""

from __future__ import annotations

import datetime
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from codefill.builtin import builtin_path_if_ready
from codefill.engine.base import ModelInfo
from codefill.service.models import LoadedModel, ModelManager
from codefill.settings import ModelConfig

__all__ = ["ModelListing", "describe", "list_models"]


@dataclass(frozen=True)
class ModelListing:
    """What a listing says about one model; loaded models know more."""

    name: str
    path: str
    size: int
    modified: datetime.datetime
    digest: str
    family: str
    parameter_size: str
    quantization: str
    context_length: int
    loaded: LoadedModel | None

    @property
    def expires_at(self) -> datetime.datetime | None:
        if self.loaded is None or self.loaded.expires_at is None:
            return None
        return datetime.datetime.fromtimestamp(self.loaded.expires_at, datetime.UTC)


def _file_of(config: ModelConfig, cache_dir: Path) -> str:
    if config.path:
        return config.path
    if config.builtin:
        return builtin_path_if_ready(config.builtin, cache_dir) or ""
    return config.upstreams[0].url if config.upstreams else ""


def describe(
    config: ModelConfig,
    loaded: LoadedModel | None,
    cache_dir: Path,
    info: ModelInfo | None = None,
) -> ModelListing:
    """The listing of a model; ``info`` (read from its file) stands in for a loaded one's."""
    info = loaded.engine.info if loaded else info
    path = info.path if info else _file_of(config, cache_dir)
    try:
        stat = os.stat(path) if path else None
    except OSError:
        stat = None
    size = stat.st_size if stat else 0
    mtime = stat.st_mtime if stat else 0.0
    digest = hashlib.sha256(f"{config.name}\x00{path}\x00{size}\x00{mtime}".encode()).hexdigest()
    return ModelListing(
        name=config.name,
        path=path,
        size=size,
        modified=datetime.datetime.fromtimestamp(mtime, datetime.UTC),
        digest=digest,
        family=info.family if info else "",
        parameter_size=info.parameter_size if info else "",
        quantization=info.quantization if info else "",
        context_length=info.context_length if info else (config.context_length or 0),
        loaded=loaded,
    )


def list_models(manager: ModelManager, *, loaded_only: bool = False) -> list[ModelListing]:
    manager.registry.refresh()  # models `codefill pull` fetched beside the running server
    loaded = {model.name: model for model in manager.loaded()}
    cache_dir = Path(manager.settings.cache_dir)
    entries = []
    for config in manager.registry.all():
        if loaded_only and config.name not in loaded:
            continue
        entries.append(describe(config, loaded.get(config.name), cache_dir))
    return entries
