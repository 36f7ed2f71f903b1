"""Benchmark codefill in front of remote replicas: throughput at 1 and 2 replicas, added latency.

One run starts the upstreams and one codefill, then measures side by side:

1. real replicas: two llama-cpp-python servers on the embedded model, one thread each.
   ``--clients`` concurrent clients send ``--requests`` greedy completions straight to
   replica A, through codefill to A (model ``one``), and through codefill to A and B
   (``two``); then ``--pairs`` sequential requests alternate between A and codefill-to-A.
   On a small shared machine both replicas compete for the same cores, so this shows
   overhead, not scaling.
2. simulated replicas (``stub_upstream.py``): each serves one request at a time at a fixed
   ``--token-delay``, like a GPU node whose speed does not depend on this machine, so the
   1-to-2 replica ratio shows what routing achieves.
3. an upstream that answers at once: the same alternating pairs measure codefill's own
   added latency without the model's noise.

Every request has its own prompt, so type-ahead never answers from an earlier one, and sends
``postprocess: false``, so both paths generate the same tokens.

    .venv/bin/python benchmarks/remote.py [--clients 4] [--requests 32] [--pairs 40]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from harness import free_port, start

from codefill.builtin import resolve_builtin
from codefill.prompt.fim import family_named
from codefill.prompt.meta import parse_prompt
from codefill.prompt.templates import Template, parts_text

FAMILY = "qwen2.5-coder"
Request = Callable[[httpx.AsyncClient, int], Awaitable[int]]


def _start(command: list[str], log: Path, ready: str) -> subprocess.Popen[bytes]:
    return start(log.stem, command, ready, log.parent).process


def _prompt(number: int) -> str:
    return f"# Language: Python\nnumbers_{number} = [1, 2, 3, 4, 5, 6, <SUF>]\n <MID>"


def _rendered(prompt: str) -> str:
    """The text codefill sends upstream for ``prompt`` (the family's FIM template)."""
    family = family_named(FAMILY)
    assert family is not None
    return parts_text(Template(family.template).render(parse_prompt(prompt).variables()))


def _direct(url: str, max_tokens: int) -> Request:
    stops = list(family_named(FAMILY).stops)  # type: ignore[union-attr]

    async def send(client: httpx.AsyncClient, number: int) -> int:
        body = {"prompt": _rendered(_prompt(number)), "max_tokens": max_tokens}
        body |= {"temperature": 0, "stop": stops}
        answer = (await client.post(f"{url}/v1/completions", json=body)).json()
        return int(answer["usage"]["completion_tokens"])

    return send


def _codefill(url: str, model: str, max_tokens: int) -> Request:
    async def send(client: httpx.AsyncClient, number: int) -> int:
        options = {"num_predict": max_tokens, "temperature": 0}
        body = {"model": model, "prompt": _prompt(number), "stream": False}
        body |= {"options": options, "postprocess": False}
        response = await client.post(f"{url}/api/generate", json=body)
        assert response.status_code == 200, response.text
        return int(response.json()["output_tokens"])

    return send


async def _throughput(send: Request, clients: int, total: int) -> tuple[float, float, int]:
    """Requests and tokens per second with ``clients`` concurrent senders, and failures."""
    numbers = iter(range(100_000, 100_000 + total))  # the same prompts in every run
    tokens = failures = 0

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal tokens, failures
        for number in numbers:
            try:
                generated = await send(client, number)  # not `+= await`: a race
                tokens += generated
            except (httpx.HTTPError, AssertionError, KeyError) as error:
                failures += 1
                print(f"request failed: {error!r}", file=sys.stderr)

    async with httpx.AsyncClient(timeout=300) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return (total - failures) / elapsed, tokens / elapsed, failures


async def _latency(direct: Request, through: Request, pairs: int, first: int) -> list[list[float]]:
    """Seconds per request, direct and through codefill, alternating on one replica.

    Every request has a prompt of its own (same length), so neither side gets the prefix
    cache hit that repeating the previous prompt would give llama.cpp.
    """
    times: list[list[float]] = [[], []]
    async with httpx.AsyncClient(timeout=300) as client:
        for i in range(pairs):
            order = ((0, direct), (1, through)) if i % 2 else ((1, through), (0, direct))
            for index, send in order:
                started = time.perf_counter()
                await send(client, first + 2 * i + index)
                times[index].append(time.perf_counter() - started)
    return times


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


async def _throughput_table(
    title: str, clients: int, total: int, runs: list[tuple[str, int, Request]]
) -> None:
    for _, _, send in runs:  # warm up: connections, first-request costs
        await _throughput(send, 2, 4)
    rows = [(name, n, *await _throughput(send, clients, total)) for name, n, send in runs]
    print(f"\n{title}: {clients} concurrent clients, {total} requests per row")
    print(f"{'path':<22}{'replicas':>9}{'req/s':>9}{'tok/s':>9}{'failed':>8}{'vs direct':>11}")
    for name, replicas, rps, tps, failed in rows:
        print(f"{name:<22}{replicas:>9}{rps:>9.2f}{tps:>9.1f}{failed:>8}{rps / rows[0][2]:>10.2f}x")
    print(f"through codefill, 2 replicas vs 1: {rows[2][2] / rows[1][2]:.2f}x requests/s")


def _latency_table(title: str, times: list[list[float]]) -> None:
    added = [t - d for d, t in zip(times[0], times[1], strict=True)]
    print(f"\n{title}: {len(added)} sequential requests each way, alternating")
    print(f"{'':<28}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}")
    for name, values in (
        ("direct", times[0]),
        ("through codefill", times[1]),
        ("added (paired)", added),
    ):
        mean = statistics.fmean(values) * 1000
        print(f"{name:<28}{_ms(values, 0.5):>9.2f}{_ms(values, 0.95):>9.2f}{mean:>9.2f}")
    gap = _ms(times[1], 0.5) - _ms(times[0], 0.5)
    ratio = _ms(times[1], 0.5) / _ms(times[0], 0.5)
    print(f"{'added (p50 minus p50)':<28}{gap:>9.2f}   ratio of p50s {ratio:.3f}")


async def _measure(args: argparse.Namespace, urls: dict[str, str]) -> None:
    codefill, tokens = urls["codefill"], args.max_tokens
    llama = [
        ("direct to replica A", 1, _direct(urls["llama-a"], tokens)),
        ("codefill", 1, _codefill(codefill, "one", tokens)),
        ("codefill", 2, _codefill(codefill, "two", tokens)),
    ]
    title = f"1. llama-cpp-python replicas (smollm2, 1 thread each), max_tokens {tokens}"
    await _throughput_table(title, args.clients, args.requests, llama)
    short = args.latency_tokens
    times = await _latency(
        _direct(urls["llama-a"], short), _codefill(codefill, "one", short), args.pairs, 200_000
    )
    _latency_table(f"1b. added latency, llama-cpp-python replica A, max_tokens {short}", times)

    simulated = [
        ("direct to replica A", 1, _direct(urls["sim-a"], tokens)),
        ("codefill", 1, _codefill(codefill, "sim1", tokens)),
        ("codefill", 2, _codefill(codefill, "sim2", tokens)),
    ]
    rate = 1 / args.token_delay
    title = f"2. simulated replicas (one request at a time, {rate:.0f} tok/s), max_tokens {tokens}"
    await _throughput_table(title, args.clients, args.requests, simulated)

    instant = _direct(urls["instant"], short), _codefill(codefill, "instant", short)
    times = await _latency(*instant, args.pairs * 5, 300_000)
    _latency_table(f"3. added latency, upstream that answers at once, max_tokens {short}", times)


def _config(urls: dict[str, str]) -> str:
    common = f'upstream_model = "smollm2"\nfamily = "{FAMILY}"\ncontext_length = 2048\n'
    models = {
        "default": ["llama-a"],
        "one": ["llama-a"],
        "two": ["llama-a", "llama-b"],
        "sim1": ["sim-a"],
        "sim2": ["sim-a", "sim-b"],
        "instant": ["instant"],
    }
    text = 'log_level = "warning"\n'
    for name, upstreams in models.items():
        listed = ", ".join(f'{{url = "{urls[u]}"}}' for u in upstreams)
        text += f'[[models]]\nname = "{name}"\nupstreams = [{listed}]\n{common}'
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--latency-tokens", type=int, default=2)
    parser.add_argument("--token-delay", type=float, default=0.01)
    args = parser.parse_args()
    model = resolve_builtin("smollm2", Path())
    stub = str(Path(__file__).with_name("stub_upstream.py"))
    workdir = Path(tempfile.mkdtemp(prefix="codefill-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    urls: dict[str, str] = {}

    def start(name: str, command: list[str], ready: str) -> None:
        port = free_port()
        urls[name] = f"http://127.0.0.1:{port}"
        full = [sys.executable, *command, "--port", str(port)]
        processes.append(_start(full, workdir / f"{name}.log", urls[name] + ready))

    try:
        for name in ("llama-a", "llama-b"):
            llama = ["-m", "llama_cpp.server", "--model", model, "--n_threads", "1"]
            llama += ["--n_ctx", "2048", "--interrupt_requests", "false", "--verbose", "false"]
            start(name, llama, "/v1/models")
        for name, delay in (("sim-a", args.token_delay), ("sim-b", args.token_delay)):
            start(name, [stub, "--token-delay", str(delay)], "/health")
        start("instant", [stub, "--token-delay", "0"], "/health")
        config = workdir / "codefill.toml"
        config.write_text(_config(urls))
        start("codefill", ["-m", "codefill", "serve", "--config", str(config)], "/health")
        print(f"logs in {workdir}")
        asyncio.run(_measure(args, urls))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
