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
        workers = codefill(Path(workdir), f"threads = {threads}\n")
        inside = codefill(
            Path(workdir), f"threads = {threads}\nworker_processes = false\n", name="inside"
        )
        systems = {
            "in-process": lambda: in_process(llm, args.tokens),
            "codefill": lambda: over_http(workers.url, args.tokens),
            "codefill, engine in the server": lambda: over_http(inside.url, args.tokens),
        }
        try:
            over_http(workers.url, 8)  # warm all up
            over_http(inside.url, 8)
            in_process(llm, 8)
            rates: dict[str, list[float]] = {name: [] for name in systems}
            counts: dict[str, list[int]] = {name: [] for name in systems}
            for _ in range(args.runs):
                for name, run in systems.items():
                    produced, elapsed = run()
                    rates[name].append(produced / elapsed)
                    counts[name].append(produced)
        finally:
            workers.stop()
            inside.stop()
    base = median(rates["in-process"])
    labels = {
        "in-process": "llama-cpp-python in-process",
        "codefill": "codefill over HTTP (engine in a worker process)",
        "codefill, engine in the server": "codefill over HTTP (engine in the server process)",
    }
    text = table(
        f"overhead: {args.tokens}-token greedy generation, SmolLM2-135M, {threads} threads, "
        f"median of {args.runs} ({machine()})",
        ["system", "tokens", "tokens/s (median)", "runs (tokens/s)", "ratio"],
        [
            [
                labels[name],
                median(counts[name]),
                median(rates[name]),
                " ".join(f"{r:.0f}" for r in rates[name]),
                median(rates[name]) / base,
            ]
            for name in systems
        ],
    )
    ours = median(rates["codefill"])
    print(f"\ncodefill / in-process tokens/s: {ours / base:.3f} (target: at least 0.95)")
    save("overhead", text + f"\n\ncodefill / in-process tokens/s: **{ours / base:.3f}**")


if __name__ == "__main__":
    main()
