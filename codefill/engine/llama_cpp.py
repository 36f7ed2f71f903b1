"""The only module that touches llama.cpp: model loading, tokens, batched decode, KV, sampling.

Everything here is synchronous and, apart from tokenization, must be called from the one
engine thread that owns the context. llama.cpp failures become codefill errors at this edge.
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
import numpy as np

from codefill.engine import context_size
from codefill.engine.backend import SamplerHandle
from codefill.engine.base import ModelInfo, SamplingParams
from codefill.engine.healing import PieceIndex
from codefill.errors import EngineError, ModelLoadError

__all__ = ["LlamaBackend", "Sampler", "inspect_gguf"]

log = logging.getLogger("codefill.llama")

_GGUF_MAGIC = b"GGUF"
_init_lock = threading.Lock()
_initialised = False


@lib.llama_log_callback  # type: ignore[untyped-decorator]
def _forward_log(level: int, text: bytes, _user: ctypes.c_void_p) -> None:
    if log.isEnabledFor(logging.DEBUG) and text:
        log.debug("%s", text.decode("utf-8", "replace").rstrip())


def _init_backend() -> None:
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


class Sampler:
    """A llama.cpp sampler chain for one job; ``free`` it when the job ends."""

    def __init__(self, params: SamplingParams, seed: int, n_vocab: int, context: int) -> None:
        chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        penalised = (
            params.repeat_penalty != 1.0
            or params.presence_penalty != 0.0
            or params.frequency_penalty != 0.0
        )
        if penalised:
            lib.llama_sampler_chain_add(
                chain,
                lib.llama_sampler_init_penalties(
                    n_vocab,
                    context if params.repeat_last_n < 0 else params.repeat_last_n,
                    params.repeat_penalty,
                    params.frequency_penalty,
                    params.presence_penalty,
                ),
            )
        if params.temperature <= 0:
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_greedy())
        else:
            if params.top_k > 0:
                lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_top_k(params.top_k))
            if 0 < params.top_p < 1:
                lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_top_p(params.top_p, 1))
            if params.min_p > 0:
                lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_min_p(params.min_p, 1))
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_temp(params.temperature))
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_dist(seed))
        self._chain = chain

    def free(self) -> None:
        if self._chain is not None:
            lib.llama_sampler_free(self._chain)
            self._chain = None

    @property
    def handle(self) -> object:
        return self._chain


class LlamaBackend:
    """One model and one context with ``n_seq`` sequences sharing a unified KV cache.

    The cache holds ``slots`` sequences of ``seq_context`` tokens each; sequences beyond
    ``slots`` only ever hold cells that are also counted in a slot (the scheduler's scratch
    sequences), so they need no room of their own.
    """

    def __init__(
        self,
        path: str,
        *,
        name: str,
        seq_context: int | None,
        slots: int,
        n_seq: int,
        n_threads: int,
        n_batch: int = 512,
    ) -> None:
        check_gguf(path)
        _init_backend()
        model_params = lib.llama_model_default_params()
        model = lib.llama_model_load_from_file(os.fsencode(path), model_params)
        if not model:
            raise ModelLoadError(f"llama.cpp could not load {path}: truncated or unsupported")
        self._model = model
        self._vocab = lib.llama_model_get_vocab(model)
        self._n_vocab = int(lib.llama_vocab_n_tokens(self._vocab))
        trained = int(lib.llama_model_n_ctx_train(model))
        per_token = context_size.kv_bytes_per_token(_metadata(model))
        self.seq_context = context_size.seq_context(trained, seq_context, slots, per_token)
        params = lib.llama_context_default_params()
        params.n_ctx = self.seq_context * slots + n_batch
        params.n_batch = n_batch
        params.n_ubatch = n_batch
        params.n_seq_max = n_seq
        params.n_threads = n_threads
        params.n_threads_batch = n_threads
        params.kv_unified = True
        params.flash_attn_type = lib.LLAMA_FLASH_ATTN_TYPE_AUTO
        params.no_perf = True
        context = lib.llama_init_from_model(model, params)
        if not context:
            lib.llama_model_free(model)
            raise ModelLoadError(f"llama.cpp could not create a context for {path}")
        self._ctx = context
        self._memory = lib.llama_get_memory(context)
        self.n_batch = n_batch
        self._batch = lib.llama_batch_init(n_batch, 0, 1)
        self._pieces: dict[int, bytes] = {}
        self.can_shift = bool(lib.llama_memory_can_shift(self._memory))
        self.info = _read_info(model, self._vocab, name, path, self.seq_context)
        add_bos = bool(lib.llama_vocab_get_add_bos(self._vocab))
        bos = int(lib.llama_vocab_bos(self._vocab))
        self._bos = bos if add_bos and bos >= 0 else None
        # token healing's index of every token's bytes (about 0.4 s for 150K tokens)
        self._index = PieceIndex((token, self.piece(token)) for token in range(self._n_vocab))

    # --- tokens -----------------------------------------------------------------------

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

    # --- decoding and the KV cache ------------------------------------------------------

    def decode(
        self,
        tokens: Sequence[int],
        positions: Sequence[int],
        seqs: Sequence[int],
        logits: Sequence[bool],
    ) -> None:
        """Decode one batch: token ``tokens[i]`` goes to ``positions[i]`` of ``seqs[i]``."""
        batch = self._batch
        count = len(tokens)
        if count > self.n_batch:
            raise EngineError(f"batch of {count} tokens exceeds n_batch {self.n_batch}")
        for i in range(count):
            batch.token[i] = tokens[i]
            batch.pos[i] = positions[i]
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seqs[i]
            batch.logits[i] = logits[i]
        batch.n_tokens = count
        status = lib.llama_decode(self._ctx, batch)
        if status != 0:
            raise EngineError(f"llama_decode failed with status {status}")

    def new_sampler(self, params: SamplingParams) -> Sampler:
        seed = lib.LLAMA_DEFAULT_SEED if params.seed is None else params.seed % 2**32
        return Sampler(params, seed, self._n_vocab, self.seq_context)

    def sample(self, sampler: SamplerHandle, index: int, retype: bytes = b"") -> int:
        assert isinstance(sampler, Sampler)
        if retype:
            self._constrain(index, retype)
        return int(lib.llama_sampler_sample(sampler.handle, self._ctx, index))

    def _constrain(self, index: int, retype: bytes) -> None:
        """Token healing: give every token that cannot re-type ``retype`` a logit of -inf,
        in place, so whatever the sampler chain does next it picks an allowed token."""
        pointer = lib.llama_get_logits_ith(self._ctx, index)
        logits = np.ctypeslib.as_array(pointer, shape=(self._n_vocab,))
        allowed = self._index.allowed(retype)
        kept = logits[allowed]
        logits.fill(-np.inf)
        logits[allowed] = kept

    def kv_remove(self, seq: int, start: int, end: int = -1) -> None:
        lib.llama_memory_seq_rm(self._memory, seq, start, end)

    def kv_copy(self, source: int, target: int, start: int, end: int) -> None:
        lib.llama_memory_seq_cp(self._memory, source, target, start, end)

    def kv_shift(self, seq: int, start: int, end: int, delta: int) -> None:
        lib.llama_memory_seq_add(self._memory, seq, start, end, delta)

    def kv_clear(self) -> None:
        lib.llama_memory_clear(self._memory, True)

    def close(self) -> None:
        if self._ctx:
            lib.llama_batch_free(self._batch)
            lib.llama_free(self._ctx)
            lib.llama_model_free(self._model)
            self._ctx = None
            self._model = None


def inspect_gguf(
    path: str, *, name: str, context_length: int | None, slots: int = 4
) -> tuple[ModelInfo, frozenset[str]]:
    """A model's metadata and the texts of its control tokens, read without its weights.

    llama.cpp's vocab-only load reads the header and the vocabulary in a fraction of the
    time and memory of a full load; describing a model (``/api/show``, which some clients
    call for every model they list) needs no more.
    """
    check_gguf(path)
    _init_backend()
    params = lib.llama_model_default_params()
    params.vocab_only = True
    model = lib.llama_model_load_from_file(os.fsencode(path), params)
    if not model:
        raise ModelLoadError(f"llama.cpp could not read {path}: truncated or unsupported")
    try:
        vocab = lib.llama_model_get_vocab(model)
        info = _read_info(model, vocab, name, path, 0)
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


def _read_info(model: object, vocab: object, name: str, path: str, context: int) -> ModelInfo:
    metadata = _metadata(model)
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


def _metadata(model: object) -> dict[str, str]:
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
