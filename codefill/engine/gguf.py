"""The model file seen from llama.cpp without its weights: header, metadata, vocabulary.

Reading a GGUF's vocabulary is a fraction of the time and memory of a full load, and it is
all the HTTP process needs: it tokenizes prompts and describes models (``/api/show``) while
the weights and the decoding live in a worker process (``engine/worker.py``). Together with
``engine/llama_cpp.py`` this is the only code that touches llama.cpp.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import llama_cpp as lib

from codefill.engine import context_size
from codefill.engine.base import ModelInfo
from codefill.errors import ModelLoadError

__all__ = ["Vocabulary", "check_gguf", "init_backend", "inspect_gguf", "metadata_of", "read_info"]

log = logging.getLogger("codefill.llama")

_GGUF_MAGIC = b"GGUF"
_init_lock = threading.Lock()
_initialised = False


@lib.llama_log_callback  # type: ignore[untyped-decorator]
def _forward_log(level: int, text: bytes, _user: ctypes.c_void_p) -> None:
    if log.isEnabledFor(logging.DEBUG) and text:
        log.debug("%s", text.decode("utf-8", "replace").rstrip())


def init_backend() -> None:
    global _initialised
    with _init_lock:
        if not _initialised:
            lib.llama_log_set(_forward_log, ctypes.c_void_p(0))
            lib.llama_backend_init()
            _initialised = True


def check_gguf(path: str) -> None:
    """Refuse a missing, unreadable or non-GGUF file with a message that says which."""
    file = Path(path)
    if not file.is_file():
        raise ModelLoadError(f"model file {path} does not exist")
    try:
        with file.open("rb") as handle:
            magic = handle.read(4)
    except OSError as error:
        raise ModelLoadError(f"model file {path} cannot be read: {error}") from None
    if magic != _GGUF_MAGIC:
        raise ModelLoadError(f"model file {path} is not a GGUF file")


class Vocabulary:
    """Text to token ids and back for one llama.cpp model (a full or a vocab-only load)."""

    def __init__(self, model: object) -> None:
        self._vocab = lib.llama_model_get_vocab(model)
        self._n_vocab = int(lib.llama_vocab_n_tokens(self._vocab))
        self._pieces: dict[int, bytes] = {}
        add_bos = bool(lib.llama_vocab_get_add_bos(self._vocab))
        bos = int(lib.llama_vocab_bos(self._vocab))
        self._bos = bos if add_bos and bos >= 0 else None

    def tokenize(self, text: str, *, special: bool) -> list[int]:
        data = text.encode("utf-8", "surrogatepass")
        if not data:
            return []
        capacity = len(data) + 8
        while True:
            buffer = (lib.llama_token * capacity)()
            count = lib.llama_tokenize(
                self._vocab, data, len(data), buffer, capacity, False, special
            )
            if count >= 0:
                return list(buffer[:count])
            capacity = -count

    def detokenize(self, tokens: Sequence[int]) -> str:
        return b"".join(self.piece(token) for token in tokens).decode("utf-8", "replace")

    def special_token(self, text: str) -> int | None:
        tokens = self.tokenize(text, special=True)
        if len(tokens) == 1 and len(self.tokenize(text, special=False)) > 1:
            return tokens[0]
        return None

    @property
    def bos(self) -> int | None:
        return self._bos

    def piece(self, token: int) -> bytes:
        """The bytes a generated token stands for; control tokens give nothing."""
        cached = self._pieces.get(token)
        if cached is None:
            buffer = ctypes.create_string_buffer(64)
            size = lib.llama_token_to_piece(self._vocab, token, buffer, 64, 0, False)
            if size < 0:
                buffer = ctypes.create_string_buffer(-size)
                size = lib.llama_token_to_piece(self._vocab, token, buffer, -size, 0, False)
            cached = buffer.raw[:size]
            self._pieces[token] = cached
        return cached

    def is_end(self, token: int) -> bool:
        return bool(lib.llama_vocab_is_eog(self._vocab, token))

    @classmethod
    def open(cls, path: str) -> VocabularyFile:
        """Load only the vocabulary of a GGUF file; ``close`` frees it."""
        return VocabularyFile(_load_vocab_only(path))


class VocabularyFile(Vocabulary):
    """A vocabulary loaded on its own (``Vocabulary.open``)."""

    def __init__(self, model: object) -> None:
        super().__init__(model)
        self._model: object | None = model

    def close(self) -> None:
        if self._model is not None:
            lib.llama_model_free(self._model)
            self._model = None


def _load_vocab_only(path: str) -> object:
    """llama.cpp's model handle with the header and vocabulary only; free it when done."""
    check_gguf(path)
    init_backend()
    params = lib.llama_model_default_params()
    params.vocab_only = True
    model = lib.llama_model_load_from_file(os.fsencode(path), params)
    if not model:
        raise ModelLoadError(f"llama.cpp could not read {path}: truncated or unsupported")
    return model


def inspect_gguf(
    path: str, *, name: str, context_length: int | None, slots: int = 4
) -> tuple[ModelInfo, frozenset[str]]:
    """A model's metadata and the texts of its control tokens, read without its weights.

    llama.cpp's vocab-only load reads the header and the vocabulary in a fraction of the
    time and memory of a full load; describing a model (``/api/show``, which some clients
    call for every model they list) needs no more.
    """
    model = _load_vocab_only(path)
    try:
        vocab = lib.llama_model_get_vocab(model)
        info = read_info(model, vocab, name, path, 0)
        # a vocab-only load skips the hyperparameters; the header has the trained context
        trained = int(info.metadata.get(f"{info.family}.context_length", "0") or 0)
        per_token = context_size.kv_bytes_per_token(info.metadata)
        seq_context = context_size.seq_context(trained, context_length, slots, per_token)
        info = dataclasses.replace(info, context_length=seq_context)
        control = lib.LLAMA_TOKEN_ATTR_CONTROL | lib.LLAMA_TOKEN_ATTR_USER_DEFINED
        specials = frozenset(
            _token_text(vocab, token)
            for token in range(int(lib.llama_vocab_n_tokens(vocab)))
            if lib.llama_vocab_get_attr(vocab, token) & control
        )
    finally:
        lib.llama_model_free(model)
    return info, specials


def read_info(model: object, vocab: object, name: str, path: str, context: int) -> ModelInfo:
    metadata = metadata_of(model)
    return ModelInfo(
        name=name,
        path=path,
        context_length=context,
        size_bytes=os.path.getsize(path),
        family=metadata.get("general.architecture", ""),
        parameter_size=metadata.get("general.size_label", ""),
        quantization=_FILE_TYPES.get(metadata.get("general.file_type", ""), ""),
        chat_template=metadata.get("tokenizer.chat_template", ""),
        bos_text=_token_text(vocab, lib.llama_vocab_bos(vocab)),
        eos_text=_token_text(vocab, lib.llama_vocab_eos(vocab)),
        metadata=metadata,
    )


def metadata_of(model: object) -> dict[str, str]:
    values: dict[str, str] = {}
    for index in range(lib.llama_model_meta_count(model)):
        key = _meta_string(model, lib.llama_model_meta_key_by_index, index)
        if key.startswith(("tokenizer.ggml.tokens", "tokenizer.ggml.merges")):
            continue
        if key.startswith("tokenizer.ggml.token_type"):
            continue
        values[key] = _meta_string(model, lib.llama_model_meta_val_str_by_index, index)
    return values


def _meta_string(model: object, getter: object, index: int) -> str:
    size = 256
    while True:
        buffer = ctypes.create_string_buffer(size)
        needed = getter(model, index, buffer, size)  # type: ignore[operator]
        if needed < size:
            return buffer.value.decode("utf-8", "replace")
        size = needed + 1


def _token_text(vocab: object, token: int) -> str:
    if token < 0:
        return ""
    text = lib.llama_vocab_get_text(vocab, token)
    return text.decode("utf-8", "replace") if text else ""


_FILE_TYPES = {
    "0": "F32",
    "1": "F16",
    "2": "Q4_0",
    "3": "Q4_1",
    "7": "Q8_0",
    "8": "Q5_0",
    "9": "Q5_1",
    "10": "Q2_K",
    "11": "Q3_K_S",
    "12": "Q3_K_M",
    "13": "Q3_K_L",
    "14": "Q4_K_S",
    "15": "Q4_K_M",
    "16": "Q5_K_S",
    "17": "Q5_K_M",
    "18": "Q6_K",
    "32": "BF16",
}
