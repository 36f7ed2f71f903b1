"""The backend's greedy shortcut (the logits' argmax) against llama.cpp's greedy sampler."""

from __future__ import annotations

from pathlib import Path

from codefill.builtin import QWEN_CODER, resolve_builtin
from codefill.engine.base import SamplingParams
from codefill.engine.llama_cpp import LlamaBackend

TEXT = "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci("


def test_argmax_picks_what_llama_cpps_greedy_sampler_picks(tmp_path: Path) -> None:
    path = resolve_builtin(QWEN_CODER, tmp_path)
    backend = LlamaBackend(path, name="coder", seq_context=512, slots=1, n_seq=2, n_threads=2)
    try:
        tokens = backend.tokenize(TEXT, special=False)
        greedy = backend.new_sampler(SamplingParams(temperature=0))
        chain = backend.new_sampler(SamplingParams(temperature=0))
        assert greedy.greedy
        chain.greedy = False  # through llama.cpp's own greedy sampler
        picked, expected = [], []
        position = 0
        for _ in range(12):  # the prompt, then 11 tokens one at a time
            batch = tokens[position:]
            logits = [False] * (len(batch) - 1) + [True]
            backend.decode(batch, list(range(position, len(tokens))), [0] * len(batch), logits)
            index = len(batch) - 1
            expected.append(backend.sample(chain, index))
            picked.append(backend.sample(greedy, index))
            position = len(tokens)
            tokens = [*tokens, picked[-1]]
        assert picked == expected
        assert not backend.new_sampler(SamplingParams(temperature=0.7)).greedy
        assert not backend.new_sampler(SamplingParams(temperature=0, repeat_penalty=1.3)).greedy
        greedy.free()
        chain.free()
    finally:
        backend.close()
