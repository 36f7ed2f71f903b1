"""Overhead: the same greedy 128-token generation through codefill's HTTP API and in-process.

In-process is llama-cpp-python's ``Llama.create_completion`` on the same GGUF and thread
count; codefill is ``POST /api/generate`` (one JSON answer, post-processing off) to a local
server. Runs alternate, one system at a time, and the medians are compared.
Target: codefill's tokens/s at least 0.95 of in-process.

    .venv/bin/python benchmarks/overhead.py [--runs 5] [--tokens 128]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import httpx
from harness import codefill, machine, median, save, table

from codefill.builtin import SMOLLM2, resolve_builtin

PROMPT = "1, 2, 3, 4, 5,"  # counting keeps a small model going without an early end


def in_process(llm: object, tokens: int) -> tuple[int, float]:
    started = time.perf_counter()
    answer = llm.create_completion(PROMPT, max_tokens=tokens, temperature=0.0)  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - started
    return int(answer["usage"]["completion_tokens"]), elapsed


def over_http(url: str, tokens: int) -> tuple[int, float]:
    body = {
        "prompt": PROMPT,
        "stream": False,
        "postprocess": False,
        "options": {"num_predict": tokens, "temperature": 0},
    }
    started = time.perf_counter()
    answer = httpx.post(url + "/api/generate", json=body, timeout=300).json()
    elapsed = time.perf_counter() - started
    return int(answer["output_tokens"]), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()
    threads = os.cpu_count() or 1
    model = resolve_builtin(SMOLLM2, Path())
    from llama_cpp import Llama

    llm = Llama(
        model_path=model, n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False
    )
    with tempfile.TemporaryDirectory() as workdir:
        server = codefill(Path(workdir), f"threads = {threads}\n")
        try:
            over_http(server.url, 8)  # warm both up
            in_process(llm, 8)
            rates: dict[str, list[float]] = {"in-process": [], "codefill": []}
            counts: dict[str, list[int]] = {"in-process": [], "codefill": []}
            for _ in range(args.runs):
                for name, run in (
                    ("in-process", lambda: in_process(llm, args.tokens)),
                    ("codefill", lambda: over_http(server.url, args.tokens)),
                ):
                    produced, elapsed = run()
                    rates[name].append(produced / elapsed)
                    counts[name].append(produced)
        finally:
            server.stop()
    base, ours = median(rates["in-process"]), median(rates["codefill"])
    text = table(
        f"overhead: {args.tokens}-token greedy generation, SmolLM2-135M, {threads} threads, "
        f"median of {args.runs} ({machine()})",
        ["system", "tokens", "tokens/s (median)", "runs (tokens/s)", "ratio"],
        [
            [
                "llama-cpp-python in-process",
                median(counts["in-process"]),
                base,
                " ".join(f"{r:.0f}" for r in rates["in-process"]),
                1.0,
            ],
            [
                "codefill over HTTP",
                median(counts["codefill"]),
                ours,
                " ".join(f"{r:.0f}" for r in rates["codefill"]),
                ours / base,
            ],
        ],
    )
    print(f"\ncodefill / in-process tokens/s: {ours / base:.3f} (target: at least 0.95)")
    save("overhead", text + f"\n\ncodefill / in-process tokens/s: **{ours / base:.3f}**")


if __name__ == "__main__":
    main()
