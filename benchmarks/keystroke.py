"""Keystroke: a developer typing through real source files, one FIM request per keystroke.

The editor sends a streaming FIM request for every keystroke, without debounce and without
cancelling the previous one (as thin clients do). Each burst types the first characters of
a line of a Python standard-library file of 1-2K tokens (the rest of the file is the
suffix), one key every ``--gap`` seconds, then waits for its completion. Measured per burst:
the time from the last keystroke to that keystroke's finished completion; and the server's
CPU time for the whole run ("model time"). Compared, one at a time:

* codefill with KV reuse, supersession and type-ahead (the defaults);
* codefill with chunk reuse, supersession and type-ahead off (prefix reuse stays);
* llama-cpp-python's server on the same GGUF and threads, sent the same rendered FIM prompt
  on ``/v1/completions`` (its own ``suffix`` handling is broken upstream).

Target: codefill's p50 at most 0.2 times the peer's.

    .venv/bin/python benchmarks/keystroke.py [--files 2] [--bursts 3] [--keys 6]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sysconfig
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from harness import Service, bars, codefill, machine, peer, percentile, save, table

from codefill.builtin import QWEN_CODER, resolve_builtin

MODEL = QWEN_CODER
FIM = "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>"


@dataclass(frozen=True)
class Burst:
    path: str
    before: str  # text up to the start of the typed line, its indentation included
    line: str  # the line being typed (without indentation)
    after: str  # the rest of the file, from the end of that line


def pick_files(count: int, tokens: Callable[[str], int]) -> list[Path]:
    library = Path(sysconfig.get_paths()["stdlib"])
    chosen = []
    for path in sorted(library.glob("*.py")):
        text = path.read_text(errors="replace")
        if 3000 < len(text) < 9000 and 1000 <= tokens(text) <= 2000:
            chosen.append(path)
    random.Random(7).shuffle(chosen)
    return chosen[:count]


def make_bursts(files: list[Path], per_file: int) -> list[Burst]:
    bursts = []
    for path in files:
        text = path.read_text()
        lines = text.splitlines(keepends=True)
        starts = [sum(len(x) for x in lines[:i]) for i in range(len(lines))]
        candidates = [
            i
            for i in range(len(lines) // 5, len(lines) * 4 // 5)
            if len(lines[i].strip()) >= 24 and not lines[i].lstrip().startswith(("#", '"'))
        ]
        for i in random.Random(path.name).sample(candidates, min(per_file, len(candidates))):
            indent = len(lines[i]) - len(lines[i].lstrip())
            start = starts[i] + indent
            end = starts[i] + len(lines[i].rstrip("\n"))
            bursts.append(Burst(path.name, text[:start], text[start:end], text[end:]))
    return bursts


def seed_prompt(burst: Burst, typed: int) -> str:
    prefix = burst.before + burst.line[:typed]
    return f"# Path: {burst.path}\n{prefix} <SUF> {burst.after} <MID>"


def fim_prompt(burst: Burst, typed: int) -> str:
    return FIM.format(prefix=burst.before + burst.line[:typed], suffix=burst.after)


async def read_stream(http: httpx.AsyncClient, url: str, body: dict[str, object]) -> float:
    """Send one request and read its stream to the end; return when it ended."""
    async with http.stream("POST", url, json=body) as response:
        async for _ in response.aiter_lines():
            pass
    return time.perf_counter()


async def type_burst(
    http: httpx.AsyncClient,
    send: Callable[[int], tuple[str, dict[str, object]]],
    keys: int,
    gap: float,
) -> float:
    """Type ``keys`` characters; return the last keystroke's time to finished completion."""
    tasks = []
    last_sent = 0.0
    for typed in range(1, keys + 1):
        url, body = send(typed)
        last_sent = time.perf_counter()
        tasks.append(asyncio.create_task(read_stream(http, url, body)))
        if typed < keys:
            await asyncio.sleep(gap)
    finished = await asyncio.gather(*tasks, return_exceptions=True)
    last = finished[-1]
    if isinstance(last, BaseException):
        raise last
    return last - last_sent


def sender(
    service: Service, burst: Burst, codefill_api: bool, tokens: int
) -> Callable[[int], tuple[str, dict[str, object]]]:
    def send(typed: int) -> tuple[str, dict[str, object]]:
        if codefill_api:
            body: dict[str, object] = {
                "model": MODEL,
                "prompt": seed_prompt(burst, typed),
                "stream": True,
                "options": {"temperature": 0, "num_predict": tokens},
            }
            return service.url + "/api/generate", body
        body = {
            "prompt": fim_prompt(burst, typed),
            "stream": True,
            "temperature": 0,
            "max_tokens": tokens,
        }
        return service.url + "/v1/completions", body

    return send


async def run(
    service: Service, bursts: list[Burst], codefill_api: bool, args: argparse.Namespace
) -> tuple[list[float], float]:
    cpu = service.cpu_seconds()
    latencies = []
    async with httpx.AsyncClient(timeout=900) as http:
        for burst in bursts:
            send = sender(service, burst, codefill_api, args.tokens)
            latency = await type_burst(http, send, args.keys, args.gap)
            latencies.append(latency)
            print(f"  {service.name:<14} {burst.path:<18} {latency:7.2f} s", flush=True)
    return latencies, service.cpu_seconds() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2)
    parser.add_argument("--bursts", type=int, default=3, help="bursts per file")
    parser.add_argument("--keys", type=int, default=6, help="keystrokes per burst")
    parser.add_argument("--gap", type=float, default=0.12, help="seconds between keys")
    parser.add_argument("--tokens", type=int, default=24)
    args = parser.parse_args()
    threads = os.cpu_count() or 1
    workdir = Path(tempfile.mkdtemp(prefix="codefill-keystroke-"))
    model = resolve_builtin(MODEL, Path(os.path.expanduser("~/.cache/codefill")))
    from llama_cpp import Llama

    vocab = Llama(model_path=model, vocab_only=True, verbose=False)
    files = pick_files(args.files, lambda text: len(vocab.tokenize(text.encode(), add_bos=False)))
    bursts = make_bursts(files, args.bursts)
    print(f"files: {', '.join(p.name for p in files)}; {len(bursts)} bursts of {args.keys} keys")
    systems = {
        "codefill": f"threads = {threads}\n",
        "codefill (off)": f"threads = {threads}\nreuse_min_chunk = 0\nsupersede = false\n"
        "typeahead = false\n",
    }
    results: dict[str, tuple[list[float], float]] = {}
    for name, config in systems.items():
        service = codefill(workdir, config, name=name.replace(" ", "-").strip("()-"))
        service.name = name
        try:
            httpx.post(
                service.url + "/api/generate", json={"model": MODEL, "prompt": ""}, timeout=300
            )
            results[name] = asyncio.run(run(service, bursts, True, args))
        finally:
            service.stop()
    theirs = peer(workdir, model, threads, n_ctx=4096)
    try:
        results["peer"] = asyncio.run(run(theirs, bursts, False, args))
    finally:
        theirs.stop()
    base = percentile(results["peer"][0], 0.5)
    rows = []
    for name, (latencies, cpu) in results.items():
        p50 = percentile(latencies, 0.5)
        rows.append([name, p50, percentile(latencies, 0.95), p50 / base, cpu])
    text = table(
        f"keystroke: {len(bursts)} bursts of {args.keys} keystrokes {args.gap * 1000:.0f} ms "
        f"apart, {MODEL}, {threads} threads, completions of at most {args.tokens} tokens "
        f"({machine()})",
        ["system", "p50 s (last key to done)", "p95 s", "p50 vs peer", "server CPU s"],
        rows,
    )
    print("\ntarget: codefill p50 at most 0.2x the peer's")
    save("keystroke", text)
    bars(
        "keystroke",
        "last keystroke to finished completion",
        {
            "p50": {n: percentile(r[0], 0.5) for n, r in results.items()},
            "p95": {n: percentile(r[0], 0.95) for n, r in results.items()},
        },
        "seconds",
    )


if __name__ == "__main__":
    main()
