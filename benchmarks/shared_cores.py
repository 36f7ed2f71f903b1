"""Two models generating at once: how the engine's processes share the cores.

Each system is a codefill server with two models, SmolLM2-135M (``default``) and
Qwen2.5-Coder-0.5B, each generating 128 greedy tokens (post-processing off): first each model
alone, then both at the same moment. Systems, one at a time on the machine:

- ``in-process``: both engines inside the server process (``worker_processes = false``), as
  before the engine moved into worker processes;
- ``workers, budget``: one worker process per model, the threads divided among the workers
  decoding at the moment (default);
- ``workers, gate``: one decode at a time across the workers;
- ``workers, split``: each worker with half the threads;
- ``workers, none``: each worker with every thread, nothing shared.

Prints tokens/s (from each answer's eval count and duration) alone and together, and the
together/alone ratio per model, beside the in-process figures.

    .venv/bin/python benchmarks/shared_cores.py [--runs 3] [--tokens 128]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
from pathlib import Path
from typing import Any

import httpx
from harness import codefill, machine, save, table

from codefill.builtin import QWEN_CODER

MODELS = {"default": "def fibonacci(n):", QWEN_CODER: "def quicksort(arr):"}
SYSTEMS = {
    "in-process": "worker_processes = false\n",
    "workers, budget": 'cpu_share = "budget"\n',
    "workers, gate": 'cpu_share = "gate"\n',
    "workers, split": 'cpu_share = "split"\nmax_loaded_models = 2\n',
    "workers, none": 'cpu_share = "none"\n',
}


def generate(url: str, model: str, tokens: int) -> float:
    """Tokens per second of one greedy generation, from the answer's own counts."""
    body: dict[str, Any] = {
        "model": model,
        "prompt": MODELS[model],
        "stream": False,
        "raw": True,
        "postprocess": False,
        "options": {"temperature": 0, "num_predict": tokens, "stop": []},
    }
    answer = httpx.post(url + "/api/generate", json=body, timeout=600).json()
    return float(answer["eval_count"]) / (float(answer["eval_duration"]) / 1e9)


def together(url: str, tokens: int) -> dict[str, float]:
    rates: dict[str, float] = {}
    start = threading.Barrier(len(MODELS))

    def run(model: str) -> None:
        start.wait()
        rates[model] = generate(url, model, tokens)

    threads = [threading.Thread(target=run, args=(model,)) for model in MODELS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return rates


def measure(url: str, runs: int, tokens: int) -> dict[str, dict[str, float]]:
    for model in MODELS:  # load and warm up
        generate(url, model, 8)
    alone = {m: statistics.median(generate(url, m, tokens) for _ in range(runs)) for m in MODELS}
    both = [together(url, tokens) for _ in range(runs)]
    return {
        "alone": alone,
        "together": {m: statistics.median(run[m] for run in both) for m in MODELS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()
    threads = os.cpu_count() or 1
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as workdir:
        for name, config in SYSTEMS.items():
            slug = name.replace(", ", "-").replace(" ", "-")
            server = codefill(Path(workdir), f"threads = {threads}\n{config}", name=slug)
            try:
                results[name] = measure(server.url, args.runs, args.tokens)
            finally:
                server.stop()
            print(name, results[name], flush=True)
    before = results["in-process"]
    rows = []
    for name, result in results.items():
        for model in MODELS:
            alone, both = result["alone"][model], result["together"][model]
            rows.append(
                [
                    name,
                    model,
                    alone,
                    both,
                    both / alone,
                    both / before["together"][model],
                ]
            )
    text = table(
        f"shared cores: two models generating {args.tokens} greedy tokens at once, "
        f"{threads} threads, median of {args.runs} ({machine()})",
        ["system", "model", "alone tok/s", "together tok/s", "together / alone", "vs in-process"],
        rows,
    )
    save("shared_cores", text)


if __name__ == "__main__":
    main()
