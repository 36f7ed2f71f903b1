"""Each slot's context: the trained one where the KV cache fits its budget."""

from __future__ import annotations

from codefill.engine.context_size import (
    DEFAULT_CONTEXT,
    FALLBACK_CONTEXT,
    kv_bytes_per_token,
    seq_context,
)

# the header values of the two builtin models (GGUF metadata keys)
SMOLLM2 = {
    "general.architecture": "llama",
    "llama.block_count": "30",
    "llama.embedding_length": "576",
    "llama.attention.head_count": "9",
    "llama.attention.head_count_kv": "3",
}
QWEN_CODER = {
    "general.architecture": "qwen2",
    "qwen2.block_count": "24",
    "qwen2.embedding_length": "896",
    "qwen2.attention.head_count": "14",
    "qwen2.attention.head_count_kv": "2",
}


def test_kv_bytes_per_token_from_the_header() -> None:
    assert kv_bytes_per_token(SMOLLM2) == 2 * 30 * 3 * (64 + 64) == 23_040
    assert kv_bytes_per_token(QWEN_CODER) == 12_288
    explicit = {**QWEN_CODER, "qwen2.attention.key_length": "128"}
    assert kv_bytes_per_token(explicit) == 2 * 24 * 2 * (128 + 64)
    assert kv_bytes_per_token({}) == 0
    assert kv_bytes_per_token({**SMOLLM2, "llama.block_count": "many"}) == 0


def test_the_builtin_models_get_their_trained_context_up_to_the_default() -> None:
    assert seq_context(8192, None, 4, kv_bytes_per_token(SMOLLM2)) == 8192
    assert seq_context(32_768, None, 4, kv_bytes_per_token(QWEN_CODER)) == DEFAULT_CONTEXT
    assert seq_context(32_768, 32_768, 4, kv_bytes_per_token(QWEN_CODER)) == 32_768


def test_past_the_budget_the_context_shrinks_but_not_below_the_fallback() -> None:
    shrunk = seq_context(131_072, None, 4, 12_288)
    assert FALLBACK_CONTEXT < shrunk < 131_072 and shrunk % 256 == 0
    assert seq_context(131_072, None, 64, 1_000_000) == FALLBACK_CONTEXT
    assert seq_context(2048, None, 64, 1_000_000) == 2048  # never past the trained one


def test_a_configured_length_wins_up_to_the_trained_one() -> None:
    assert seq_context(32_768, 1024, 4, 12_288) == 1024
    assert seq_context(8192, 100_000, 4, 12_288) == 8192
    assert seq_context(0, None, 4, 0) == FALLBACK_CONTEXT  # the file does not say
