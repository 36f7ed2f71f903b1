"""The models folder: a directory per pulled model, holding its GGUF and a manifest.

    <models_dir>/<slug>/manifest.json     name, aliases, repo, file, url, size, sha256
    <models_dir>/<slug>/<file>.gguf       the verified model
    <models_dir>/<slug>/<sha256>.partial  a download under way or cut off; a pull resumes it

A directory is a model only once its manifest exists, and the manifest is written last
(atomically), so a listing never shows a half-written model.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from codefill.settings import ModelConfig

__all__ = ["MANIFEST", "Manifest", "delete_pulled", "model_dir", "pulled_models", "write_manifest"]

log = logging.getLogger("codefill.pull")

MANIFEST = "manifest.json"
_WARNED: set[Path] = set()  # each unreadable manifest is logged once, not at every scan


@dataclass(frozen=True)
class Manifest:
    """What a pull fetched, so the model can join the registry at the next start."""

    name: str
    aliases: tuple[str, ...]
    repo: str  # "" for a file URL
    file: str  # the GGUF's name in the directory
    url: str
    size: int
    sha256: str  # "" when the server named none (a plain URL)

    def config(self, directory: Path) -> ModelConfig:
        return ModelConfig(name=self.name, aliases=self.aliases, path=str(directory / self.file))


def model_dir(models_dir: Path, name: str) -> Path:
    """The directory of the model pulled as ``name``, as the hub's cache spells repo ids."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name.replace("/", "--").replace(":", "--"))
    return models_dir / slug


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Write the manifest atomically: the model appears whole or not at all."""
    partial = directory / f".{MANIFEST}.{os.getpid()}"
    partial.write_text(json.dumps(asdict(manifest), indent=2) + "\n", encoding="utf-8")
    partial.replace(directory / MANIFEST)


def read_manifest(directory: Path) -> Manifest | None:
    """The manifest of a complete model; None for a folder that is not one (yet)."""
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        manifest = Manifest(**{**data, "aliases": tuple(data.get("aliases", ()))})
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as error:
        if directory not in _WARNED:
            _WARNED.add(directory)
            log.warning("ignoring %s: unreadable manifest (%s)", directory, error)
        return None
    return manifest if (directory / manifest.file).is_file() else None


def pulled_models(models_dir: Path) -> list[ModelConfig]:
    """Every complete model in the folder, by directory name; none if there is no folder."""
    try:
        directories = sorted(path for path in models_dir.iterdir() if path.is_dir())
    except OSError:
        return []
    configs = []
    for directory in directories:
        manifest = read_manifest(directory)
        if manifest is not None:
            configs.append(manifest.config(directory))
    return configs


def delete_pulled(models_dir: Path, name: str) -> None:
    """Remove a pulled model's directory, a partial download in it included."""
    shutil.rmtree(model_dir(models_dir, name), ignore_errors=True)
