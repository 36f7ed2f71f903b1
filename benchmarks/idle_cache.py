"""What idle slots' KV caches cost everyone else: one decode stream, before and after.

codefill's slots share one unified llama.cpp KV cache (the scratch sequences that park
moved chunks need partial copies, which llama.cpp does only within one pool), and
llama.cpp's attention scans every used cell of it on every decode, masked or not. This
times, on the 0.5B coder through codefill's own backend (4 slots of 4,096 tokens): 32
greedy tokens after a 20-token prompt and then 512 prompt tokens in 128-token steps, in
slot 0, with the other slots empty, with 3,000 cells cached in each of them, and with
those freed again; each state twice.

    .venv/bin/python benchmarks/idle_cache.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from harness import machine, save, table

from codefill.builtin import QWEN_CODER, resolve_builtin
from codefill.engine.base import SamplingParams
from codefill.engine.llama_cpp import LlamaBackend

SOURCE = Path(__file__).resolve().parents[1] / "codefill" / "engine" / "scheduler.py"


def one_stream(backend: LlamaBackend, tokens: list[int]) -> tuple[float, float]:
    """(ms a generated token, s for 512 prompt tokens) in sequence 0, from empty."""
    backend.kv_remove(0, -1, -1)
    sampler = backend.new_sampler(SamplingParams(temperature=0))
    backend.decode(tokens[:20], list(range(20)), [0] * 20, [False] * 19 + [True])
    started = time.perf_counter()
    last, position = backend.sample(sampler, 19), 20
    for _ in range(32):
        backend.decode([last], [position], [0], [True])
        last, position = backend.sample(sampler, 0), position + 1
    generated = (time.perf_counter() - started) / 32 * 1000
    started = time.perf_counter()
    for step in range(0, 512, 128):
        chunk = tokens[100 + step : 228 + step]
        positions = list(range(position + step, position + step + 128))
        backend.decode(chunk, positions, [0] * 128, [False] * 127 + [True])
    sampler.free()
    return generated, time.perf_counter() - started


def main() -> None:
    model = resolve_builtin(QWEN_CODER, Path.home() / ".cache" / "codefill")
    backend = LlamaBackend(model, name="coder", seq_context=4096, slots=4, n_seq=8, n_threads=2)
    tokens = backend.tokenize(SOURCE.read_text() * 3, special=False)
    runs: dict[str, list[tuple[float, float]]] = {}
    runs["others empty"] = [one_stream(backend, tokens) for _ in range(2)]
    for seq in (1, 2, 3):
        for start in range(0, 3000, 500):
            batch = tokens[start : start + 500]
            backend.decode(batch, list(range(start, start + 500)), [seq] * 500, [False] * 500)
    runs["9,000 cells idle"] = [one_stream(backend, tokens) for _ in range(2)]
    for seq in (1, 2, 3):
        backend.kv_remove(seq, -1, -1)
    runs["freed again"] = [one_stream(backend, tokens) for _ in range(2)]
    backend.close()
    base = statistics.mean(g for g, _ in runs["others empty"])
    base_prompt = statistics.mean(p for _, p in runs["others empty"])
    rows = []
    for name, got in runs.items():
        token = statistics.mean(g for g, _ in got)
        prompt = statistics.mean(p for _, p in got)
        rows.append([name, token, token / base, prompt, prompt / base_prompt])
    text = table(
        f"one stream in slot 0 while other slots hold idle caches ({machine()})",
        ["other slots", "ms a token", "vs empty", "512 prompt tokens s", "vs empty"],
        rows,
    )
    print(text)
    save("idle_cache", text)


if __name__ == "__main__":
    main()
