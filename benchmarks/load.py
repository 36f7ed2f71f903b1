"""Load: 64 concurrent clients for 60 s on loopback; ``--soak`` runs 10 minutes.

Every client sends short completions back to back (a mix of /api/generate and
/v1/chat/completions, streaming and not). Prints requests served, 503s (the bounded queue
refusing work, as designed), errors other than 503 (target: zero), and the server's memory
before and after. The soak run samples memory every 30 s and reports the growth from the
first sample after warm-up to the end (target: under 5%).

    .venv/bin/python benchmarks/load.py [--clients 64] [--seconds 60] [--soak]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import tempfile
import time
from pathlib import Path

import httpx
from harness import codefill, machine, plot, save, table

GENERATE = {"prompt": "def add(a, b):", "stream": False, "options": {"num_predict": 8}}
CHAT = {"messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 8}


async def client(
    http: httpx.AsyncClient,
    url: str,
    number: int,
    deadline: float,
    counts: collections.Counter[str],
) -> None:
    turn = 0
    while time.monotonic() < deadline:
        turn += 1
        kind = (number + turn) % 3
        try:
            if kind == 0:
                response = await http.post(url + "/api/generate", json=GENERATE)
            elif kind == 1:
                response = await http.post(url + "/v1/chat/completions", json=CHAT)
            else:
                body = {**GENERATE, "stream": True, "prompt": f"x_{number}_{turn} = "}
                async with http.stream("POST", url + "/api/generate", json=body) as streamed:
                    async for _ in streamed.aiter_lines():
                        pass
                    response = streamed
        except httpx.HTTPError as error:
            counts[f"transport error: {type(error).__name__}"] += 1
            continue
        if response.status_code == 200:
            counts["served"] += 1
        elif response.status_code == 503:
            counts["503"] += 1
            await asyncio.sleep(float(response.headers.get("retry-after", "1")))
        else:
            counts[f"status {response.status_code}"] += 1


async def hammer(url: str, clients: int, seconds: float) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients + 8)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        await asyncio.gather(*(client(http, url, n, deadline, counts) for n in range(clients)))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--soak", action="store_true", help="10 minutes, memory every 30 s")
    args = parser.parse_args()
    seconds = 600.0 if args.soak else args.seconds
    with tempfile.TemporaryDirectory() as workdir:
        server = codefill(Path(workdir), "max_queue = 32\n")
        try:
            before = server.rss_bytes()
            if not args.soak:
                counts = asyncio.run(hammer(server.url, args.clients, seconds))
                samples = [(0.0, before), (seconds, server.rss_bytes())]
            else:
                counts, samples = collections.Counter(), [(0.0, before)]
                for step in range(int(seconds // 30)):
                    counts += asyncio.run(hammer(server.url, args.clients, 30))
                    samples.append(((step + 1) * 30.0, server.rss_bytes()))
            alive = httpx.get(server.url + "/health", timeout=10).status_code
        finally:
            server.stop()
    errors = sum(v for k, v in counts.items() if k not in {"served", "503"})
    after = samples[-1][1]
    rows = [
        ["requests served", counts["served"]],
        ["503 (queue full, retried after Retry-After)", counts["503"]],
        ["errors other than 503", errors],
        ["server memory before (MiB)", before / 2**20],
        ["server memory after (MiB)", after / 2**20],
        ["/health after the run", alive],
    ]
    rows += [[f"  {k}", v] for k, v in counts.items() if k not in {"served", "503"}]
    if args.soak:
        warm = samples[2][1] if len(samples) > 2 else samples[1][1]
        rows.append(["memory growth after warm-up (1 min)", f"{(after - warm) / warm * 100:.2f}%"])
    name = "soak" if args.soak else "load"
    text = table(
        f"{name}: {args.clients} clients for {seconds:.0f} s, SmolLM2-135M ({machine()})",
        ["measure", "value"],
        rows,
    )
    save(name, text)
    if args.soak:
        plot(
            name,
            "server memory under load",
            {"RSS MiB": ([t for t, _ in samples], [m / 2**20 for _, m in samples])},
            "seconds",
            "MiB",
        )


if __name__ == "__main__":
    main()
