"""Peer: codefill against llama-cpp-python's own server, with 1, 4 and 8 concurrent clients.

Both serve the embedded SmolLM2 GGUF with the same thread count, through the same route
(``POST /v1/completions``, greedy, ``max_tokens`` 32). Each client sends its requests one
after another, each with its own prompt. One system runs at a time. Prints aggregate
tokens/s and p50/p95 latency per system and their ratios. Targets at 4 clients: at least
1.3x the peer's throughput and at most 0.7x its p95 latency.

    .venv/bin/python benchmarks/peer.py [--requests 8] [--tokens 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import httpx
from harness import Service, codefill, machine, peer, percentile, plot, save, table

from codefill.builtin import SMOLLM2, resolve_builtin

SUBJECTS = [
    "a binary search",
    "a stack",
    "a queue",
    "a trie",
    "a heap",
    "a graph",
    "an LRU cache",
    "a linked list",
    "a matrix",
    "a parser",
    "a tokenizer",
    "a timer",
]


def prompt(client: int, number: int) -> str:
    subject = SUBJECTS[(client * 7 + number) % len(SUBJECTS)]
    return f"# {client}.{number}: Python code for {subject}\nclass Item{client}x{number}:\n"


async def one_client(
    http: httpx.AsyncClient, url: str, client: int, requests: int, tokens: int
) -> tuple[list[float], int]:
    latencies, produced = [], 0
    for number in range(requests):
        body = {
            "model": "default",
            "prompt": prompt(client, number),
            "max_tokens": tokens,
            "temperature": 0,
            "postprocess": False,
        }
        started = time.perf_counter()
        response = await http.post(url + "/v1/completions", json=body)
        latencies.append(time.perf_counter() - started)
        response.raise_for_status()
        produced += int(response.json()["usage"]["completion_tokens"])
    return latencies, produced


async def measure(service: Service, clients: int, requests: int, tokens: int) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=600) as http:
        started = time.perf_counter()
        results = await asyncio.gather(
            *(one_client(http, service.url, c, requests, tokens) for c in range(clients))
        )
        wall = time.perf_counter() - started
    latencies = [value for values, _ in results for value in values]
    produced = sum(count for _, count in results)
    return {
        "tok/s": produced / wall,
        "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95),
        "wall": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=8, help="requests per client")
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()
    threads = os.cpu_count() or 1
    model = resolve_builtin(SMOLLM2, Path())
    rows, results = [], {}
    systems = ("codefill", "codefill (in-process)", "peer")
    with tempfile.TemporaryDirectory() as workdir:
        services = {
            "codefill": codefill(Path(workdir), f"threads = {threads}\nslots = 8\n"),
            "codefill (in-process)": codefill(
                Path(workdir),
                f"threads = {threads}\nslots = 8\nworker_processes = false\n",
                name="inside",
            ),
            "peer": peer(Path(workdir), model, threads, n_ctx=2048),
        }
        try:
            for clients in args.clients:
                for name in reversed(systems):  # the peer first; each alone on the machine
                    results[(name, clients)] = asyncio.run(
                        measure(services[name], clients, args.requests, args.tokens)
                    )
        finally:
            for service in services.values():
                service.stop()
    for clients in args.clients:
        a, inside, b = (results[(name, clients)] for name in systems)
        rows.append(
            [
                clients,
                a["tok/s"],
                inside["tok/s"],
                b["tok/s"],
                a["tok/s"] / b["tok/s"],
                a["tok/s"] / inside["tok/s"],
                a["p50"],
                b["p50"],
                a["p95"],
                inside["p95"],
                b["p95"],
                a["p95"] / b["p95"],
            ]
        )
    text = table(
        f"peer: codefill vs llama-cpp-python server, SmolLM2-135M, {threads} threads, "
        f"{args.requests} requests of {args.tokens} tokens per client ({machine()}); "
        "codefill's engine in a worker process, and in the server's process as before",
        [
            "clients",
            "codefill tok/s",
            "in-process tok/s",
            "peer tok/s",
            "throughput ratio",
            "workers / in-process",
            "codefill p50 s",
            "peer p50 s",
            "codefill p95 s",
            "in-process p95 s",
            "peer p95 s",
            "p95 ratio",
        ],
        rows,
    )
    print("\ntargets at 4 clients: throughput ratio >= 1.3, p95 ratio <= 0.7")
    save("peer", text)
    plot(
        "peer",
        "aggregate tokens/s",
        {
            name: (args.clients, [results[(name, c)]["tok/s"] for c in args.clients])
            for name in systems
        },
        "concurrent clients",
        "tokens/s",
    )


if __name__ == "__main__":
    main()
