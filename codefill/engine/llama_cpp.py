"""llama.cpp's decoding side: model loading, batched decode, the KV cache, sampling.

Everything here is synchronous and, apart from tokenization, must be called from the one
engine thread that owns the context; it runs in a worker process (``engine/worker.py``).
With ``engine/gguf.py`` (the file and its vocabulary) it is the only code that touches
llama.cpp; failures become codefill errors at this edge.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import llama_cpp as lib
import numpy as np

from codefill.engine import context_size
from codefill.engine.backend import SamplerHandle
from codefill.engine.base import SamplingParams
from codefill.engine.cores import CoreShare
from codefill.engine.gguf import Vocabulary, check_gguf, init_backend, metadata_of, read_info
from codefill.engine.healing import PieceIndex
from codefill.errors import EngineError, ModelLoadError

__all__ = ["LlamaBackend", "Sampler"]


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
        # plain greedy needs no chain at all: the backend takes the logits' argmax itself
        self.greedy = params.temperature <= 0 and not penalised
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


class LlamaBackend(Vocabulary):
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
        extra_buffers: bool = True,
        share: CoreShare | None = None,
    ) -> None:
        check_gguf(path)
        init_backend()
        model_params = lib.llama_model_default_params()
        # off is llama.cpp's --no-repack: no repacked or AMX weights (engine/cpu.py says why)
        model_params.use_extra_bufts = extra_buffers
        model = lib.llama_model_load_from_file(os.fsencode(path), model_params)
        if not model:
            raise ModelLoadError(f"llama.cpp could not load {path}: truncated or unsupported")
        self._model = model
        super().__init__(model)
        trained = int(lib.llama_model_n_ctx_train(model))
        per_token = context_size.kv_bytes_per_token(metadata_of(model))
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
        self._share = share or CoreShare("none", None, 0, n_threads)
        self._threads = n_threads
        self.n_batch = n_batch
        self._batch = lib.llama_batch_init(n_batch, 0, 1)
        self.can_shift = bool(lib.llama_memory_can_shift(self._memory))
        self.info = read_info(model, self._vocab, name, path, self.seq_context)
        # token healing's index of every token's bytes (about 0.4 s for 150K tokens)
        self._index = PieceIndex((token, self.piece(token)) for token in range(self._n_vocab))

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
        with self._share.turn() as threads:
            if threads != self._threads:  # the other workers' share changed
                lib.llama_set_n_threads(self._ctx, threads, threads)
                self._threads = threads
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
        if sampler.greedy:
            # the same token as llama.cpp's greedy sampler (the first of the largest
            # logits), without copying every logit into a candidates array first
            return int(self._logits(index).argmax())
        return int(lib.llama_sampler_sample(sampler.handle, self._ctx, index))

    def _logits(self, index: int) -> np.ndarray:
        pointer = lib.llama_get_logits_ith(self._ctx, index)
        return np.ctypeslib.as_array(pointer, shape=(self._n_vocab,))

    def margin(self, index: int) -> float:
        logits = self._logits(index)
        best = int(logits.argmax())
        top = float(logits[best])
        logits[best] = -np.inf
        second = float(logits.max())
        logits[best] = top
        return top - second

    def _constrain(self, index: int, retype: bytes) -> None:
        """Token healing: give every token that cannot re-type ``retype`` a logit of -inf,
        in place, so whatever the sampler chain does next it picks an allowed token."""
        logits = self._logits(index)
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
