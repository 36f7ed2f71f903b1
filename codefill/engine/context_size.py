"""How many tokens of context each slot of a local model gets.

A model is served with the context it was trained for (GGUF ``<arch>.context_length``) up to
:data:`DEFAULT_CONTEXT` tokens, as far as its KV cache stays within :data:`KV_BUDGET_BYTES`
for all slots together: the cache holds ``slots`` sequences of this many tokens, each token
costing ``2 (K and V) x layers x kv_heads x head_size x 2 bytes (f16)``. Past the budget the
context shrinks (in steps of 256 tokens) but never below 4,096 tokens or the trained context
if smaller. A configured ``context_length`` is used as it is, up to the trained context.

Why not the whole trained context: a keystroke in front of the code after the cursor moves
that code in the KV cache (``engine/reuse.py``), and llama.cpp applies such a shift to every
cell of the cache, used or not. With 4 slots of Qwen2.5-Coder-0.5B one shift took 1.1-1.4 s
at 32,768 tokens a slot, 0.42 s at 8,192 and 0.17 s at 4,096 (2-core AMD EPYC), the largest
part of a keystroke's time; 8,192 tokens hold a long file's context and a long chat.

Figures with 4 slots: SmolLM2-135M (8,192 trained, 22.5 KiB a token): 8,192, about 730 MiB;
Qwen2.5-Coder-0.5B (32,768 trained, 12 KiB a token): 8,192, 384 MiB.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "DEFAULT_CONTEXT",
    "FALLBACK_CONTEXT",
    "KV_BUDGET_BYTES",
    "kv_bytes_per_token",
    "seq_context",
]

KV_BUDGET_BYTES = 2 * 1024**3  # the KV cache of one model, all slots together
FALLBACK_CONTEXT = 4096  # when the budget allows less, or the file does not say
DEFAULT_CONTEXT = 8192  # a slot's context unless configured: KV shifts cost every cell
_STEP = 256


def kv_bytes_per_token(metadata: Mapping[str, str]) -> int:
    """The f16 KV cache's bytes per token, from a GGUF's header; 0 when it does not say."""
    arch = metadata.get("general.architecture", "")

    def number(key: str, default: int = 0) -> int:
        try:
            return int(metadata.get(f"{arch}.{key}", "") or default)
        except ValueError:
            return default

    layers, heads, width = number("block_count"), number("attention.head_count"), 0
    if heads:
        width = number("embedding_length") // heads
    kv_heads = number("attention.head_count_kv", heads)
    key, value = number("attention.key_length", width), number("attention.value_length", width)
    return 2 * layers * kv_heads * (key + value)


def seq_context(trained: int, requested: int | None, slots: int, per_token: int) -> int:
    """Tokens of context per slot: ``requested`` up to ``trained``, else the trained
    context up to :data:`DEFAULT_CONTEXT`, as far as :data:`KV_BUDGET_BYTES` allows."""
    trained = trained or FALLBACK_CONTEXT
    if requested:
        return min(requested, trained)
    trained = min(trained, DEFAULT_CONTEXT)
    floor = min(trained, FALLBACK_CONTEXT)
    if per_token <= 0:
        return floor
    fits = KV_BUDGET_BYTES // (per_token * max(slots, 1)) // _STEP * _STEP
    return max(min(trained, fits), floor)
