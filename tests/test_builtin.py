from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from codefill.builtin import SMOLLM2, assemble, builtin_available, resolve_builtin
from codefill.errors import ModelLoadError


def parts(tmp_path: Path) -> list[Path]:
    files = []
    for index, data in enumerate([b"GGUF-part-one|", b"part-two|", b"three"]):
        file = tmp_path / f"part{index}.bin"
        file.write_bytes(data)
        files.append(file)
    return files


def test_assemble_checks_size_and_hash(tmp_path: Path) -> None:
    data = b"GGUF-part-one|part-two|three"
    target = tmp_path / "cache" / "model.gguf"
    digest = hashlib.sha256(data).hexdigest()
    assemble(parts(tmp_path), target, size=len(data), sha256=digest, name="m")
    assert target.read_bytes() == data


def test_a_mismatch_is_refused_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "cache" / "model.gguf"
    with pytest.raises(ModelLoadError, match=r"expected 28 bytes and 0000000000000000"):
        assemble(parts(tmp_path), target, size=28, sha256="0" * 64, name="m")
    assert list(target.parent.iterdir()) == []


def test_the_embedded_model_is_found_without_downloading(tmp_path: Path) -> None:
    assert builtin_available(SMOLLM2)
    path = Path(resolve_builtin(SMOLLM2, tmp_path))
    with path.open("rb") as handle:
        assert handle.read(4) == b"GGUF"
    assert "site-packages" in str(path)


def test_unknown_builtin(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="unknown built-in"):
        resolve_builtin("nope", tmp_path)
