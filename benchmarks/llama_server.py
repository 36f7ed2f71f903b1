"""Against llama.cpp's own server: keystrokes, four clients, prompt evaluation, one stream.

The peer is ``llama-server`` built from the llama.cpp that the installed llama-cpp-python
vendors (same commit, same kernels), on the same GGUF (Qwen2.5-Coder-0.5B Q4_K_M) and the
same threads, with 4 slots and ``--cache-reuse 256`` (and ``--no-repack`` on a CPU with AMX,
whose repacked kernels crash). The binary is built once by ``../shared/tools/
build-llama-server`` (about ten minutes) and cached outside the repository, in
``~/.cache/codefill/llama-server-<llama-cpp-python version>/``; ``--llama-server PATH``
names another. Parts, each run on both servers in one run, one server at a time:

* ``keystroke``: at 18 places in three standard-library files the cursor lands at the start
  of a line (whose text is gone) and the editor asks for a completion there, which the
  user reads to its end; then the user types the line's first 12 characters 80 ms apart,
  as llama.vim asks: ``POST /infill`` with a sliding window of 1,600 characters before
  the cursor and 600 after, at most 48 tokens, stop at a newline, the previous request
  dropped (its connection closed) when the next key goes out. Measured: last key to
  the end of its completion (p50, p95), to its first text, whether the answer is the rest
  of the line, and where the time went (the ``timings`` of the last key's answer);
* ``clients``: 4 clients, each sending whole 64-token completions one after another
  (``/v1/completions``, post-processing off): tokens/s and p95 latency;
* ``prompt``: prompt evaluation alone (``max_tokens`` 1, nothing cached) at 0.4k to 4k
  tokens: tokens/s as each server reports it;
* ``stream``: one stream's generation tokens/s on fresh code, and on code that repeats its
  context (where codefill's speculative decoding drafts from the prompt), with codefill's
  speculative decoding on and off, and whether the greedy texts are identical.

    .venv/bin/python benchmarks/llama_server.py [--parts keystroke,clients,prompt,stream]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from harness import (
    Service,
    codefill,
    cpu_name,
    free_port,
    machine,
    median,
    percentile,
    save,
    start,
    table,
)

from codefill.builtin import QWEN_CODER, resolve_builtin

MODEL = QWEN_CODER
BUILD_TOOL = Path(__file__).resolve().parents[2] / "shared" / "tools" / "build-llama-server"
PARTS = ("keystroke", "clients", "prompt", "stream")


# --- the two servers -------------------------------------------------------------------


def llama_server_binary(given: str | None) -> Path:
    """The cached llama-server of the installed llama-cpp-python's version, built if absent."""
    if given:
        return Path(given)
    import llama_cpp

    folder = Path.home() / ".cache" / "codefill" / f"llama-server-{llama_cpp.__version__}"
    binary = folder / "llama-server"
    if not binary.exists():
        print(f"building llama-server into {folder} (about ten minutes, once)", flush=True)
        subprocess.run([str(BUILD_TOOL), sys.executable, str(folder)], check=True)
    return binary


def llama_server(workdir: Path, binary: Path, model: str, threads: int) -> Service:
    port = free_port()
    command = [str(binary), "-m", model, "--host", "127.0.0.1", "--port", str(port)]
    command += ["-t", str(threads), "-tb", str(threads), "-np", "4", "-c", "32768"]
    command += ["--cache-reuse", "256", "--no-webui"]
    if "with AMX" in cpu_name():
        command.append("--no-repack")
    return start("llama-server", command, f"http://127.0.0.1:{port}/health", workdir)


def codefill_server(
    workdir: Path, threads: int, extra: str = "", name: str = "codefill"
) -> Service:
    service = codefill(workdir, f"threads = {threads}\n{extra}", name=name)
    httpx.post(service.url + "/api/generate", json={"model": MODEL, "prompt": ""}, timeout=300)
    return service


# --- keystrokes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    path: str
    before: str  # the file up to the line's first character (its indentation included)
    line: str  # the line being typed, without its newline
    after: str  # the file from the end of that line


@dataclass
class Answer:
    done: float
    first: float
    text: str
    timings: dict[str, Any] = field(default_factory=dict)


def pick_places(files: int, per_file: int, keys: int) -> list[Place]:
    library = Path(sysconfig.get_paths()["stdlib"])
    paths = [p for p in sorted(library.glob("*.py")) if 12_000 < p.stat().st_size < 60_000]
    random.Random(7).shuffle(paths)
    places: list[Place] = []
    for path in paths[:files]:
        text = path.read_text(errors="replace")
        lines = text.splitlines(keepends=True)
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line))
        candidates = [
            i
            for i in range(len(lines))
            if len(lines[i].strip()) >= keys + 8
            and not lines[i].lstrip().startswith(("#", '"', "'"))
            and starts[i] > 1600
        ]
        for i in sorted(random.Random(path.name).sample(candidates, per_file)):
            indent = len(lines[i]) - len(lines[i].lstrip())
            begin = starts[i] + indent
            end = starts[i] + len(lines[i].rstrip("\n"))
            places.append(Place(path.name, text[:begin], text[begin:end], text[end:]))
    return places


def add_keystroke_arguments(parser: argparse.ArgumentParser) -> None:
    """The keystroke part's knobs, shared by the benchmarks that type as it does."""
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--places", type=int, default=6, help="places per file")
    parser.add_argument("--keys", type=int, default=12)
    parser.add_argument("--gap", type=float, default=0.08)
    parser.add_argument("--prefix-chars", type=int, default=1600)
    parser.add_argument("--suffix-chars", type=int, default=600)
    parser.add_argument("--tokens", type=int, default=48)


def infill_body(place: Place, typed: int, args: argparse.Namespace) -> dict[str, Any]:
    return {
        "model": getattr(args, "model", MODEL),
        "input_prefix": (place.before + place.line[:typed])[-args.prefix_chars :],
        "input_suffix": place.after[: args.suffix_chars],
        "n_predict": args.tokens,
        "stop": ["\n"],
        "temperature": 0,
        "top_k": 1,
        "stream": True,
        "cache_prompt": True,
    }


async def read_infill(http: httpx.AsyncClient, url: str, body: dict[str, Any]) -> Answer:
    sent = time.perf_counter()
    first: float | None = None
    pieces: list[str] = []
    final: dict[str, Any] = {}
    async with http.stream("POST", url + "/infill", json=body) as response:
        async for line in response.aiter_lines():
            if not line.startswith("data: "):
                continue
            event = json.loads(line[6:])
            if event.get("content") and first is None:
                first = time.perf_counter() - sent
            pieces.append(event.get("content") or "")
            if event.get("stop"):
                final = event
    done = time.perf_counter() - sent
    return Answer(done, done if first is None else first, "".join(pieces), final)


async def type_place(
    http: httpx.AsyncClient, url: str, place: Place, args: argparse.Namespace
) -> Answer:
    """Arrive (the editor asks for a completion where the cursor lands, and the user reads
    it), then type ``args.keys`` characters; each key drops the request before it."""
    await read_infill(http, url, infill_body(place, 0, args))
    await asyncio.sleep(args.gap)
    task: asyncio.Task[Answer] | None = None
    for typed in range(1, args.keys + 1):
        if task is not None:
            task.cancel()
        task = asyncio.create_task(read_infill(http, url, infill_body(place, typed, args)))
        if typed < args.keys:
            await asyncio.sleep(args.gap)
    assert task is not None
    return await task


async def keystrokes(
    services: dict[str, Service], places: list[Place], args: argparse.Namespace
) -> dict[str, list[Answer]]:
    answers: dict[str, list[Answer]] = {name: [] for name in services}
    names = list(services)
    async with httpx.AsyncClient(timeout=600) as http:
        for index, place in enumerate(places):
            for name in names[index % len(names) :] + names[: index % len(names)]:
                answer = await type_place(http, services[name].url, place, args)
                answers[name].append(answer)
                shown = (place.line[: args.keys] + "|" + answer.text)[:44]
                print(f"  {name:<14} {place.path:<16} {answer.done:6.2f} s  {shown!r}", flush=True)
            await asyncio.sleep(0.5)
    return answers


def breakdown(answers: list[Answer]) -> dict[str, float]:
    """Mean of the last keys' own timings, in llama.cpp's names (codefill adds its own)."""
    keys = (
        "queue_ms",
        "hold_ms",
        "cache_n",
        "prompt_n",
        "prompt_ms",
        "predicted_n",
        "predicted_ms",
        "decode_ms",
        "postprocess_ms",
        "first_text_ms",
        "draft_n",
        "draft_n_accepted",
    )
    means = {}
    for key in keys:
        values = [float(a.timings.get("timings", {}).get(key, "nan")) for a in answers]
        means[key] = sum(values) / len(values) if values else float("nan")
    return means


def report_keystrokes(answers: dict[str, list[Answer]], places: list[Place], args: Any) -> str:
    peer = answers["llama-server"]
    peer50 = percentile([a.done for a in peer], 0.5)
    peer95 = percentile([a.done for a in peer], 0.95)
    rows = []
    for name, got in answers.items():
        done = [a.done for a in got]
        right = sum(
            a.text.strip() == p.line[args.keys :].strip() for a, p in zip(got, places, strict=True)
        )
        rows.append(
            [
                name,
                percentile([a.first for a in got], 0.5),
                percentile(done, 0.5),
                percentile(done, 0.95),
                percentile(done, 0.5) / peer50,
                percentile(done, 0.95) / peer95,
                f"{right}/{len(got)}",
            ]
        )
    text = table(
        f"keystroke: {len(places)} places, {args.keys} keys {args.gap * 1000:.0f} ms apart, "
        f"prefix {args.prefix_chars} chars, suffix {args.suffix_chars}, at most {args.tokens} "
        f"tokens, stop at a newline, stale requests dropped",
        [
            "server",
            "first text p50 s",
            "last key to done p50 s",
            "p95 s",
            "p50 ratio",
            "p95 ratio",
            "rest of line",
        ],
        rows,
    )
    parts = {name: breakdown(got) for name, got in answers.items()}
    keys = list(next(iter(parts.values())))
    text += "\n" + table(
        "where a last key's time went (means of the answers' timings; nan: not reported)",
        ["timing", *parts],
        [[key, *(parts[name][key] for name in parts)] for key in keys],
    )
    return text


# --- four clients, whole completions -----------------------------------------------------

SUBJECTS = ["a binary search", "a stack", "a queue", "a trie", "a heap", "an LRU cache"]


async def clients(service: Service, args: argparse.Namespace) -> tuple[float, list[float], int]:
    """(tokens/s, latencies, tokens) of ``args.clients`` clients."""

    async def one(http: httpx.AsyncClient, client: int) -> tuple[list[float], int]:
        latencies, produced = [], 0
        for number in range(args.requests):
            subject = SUBJECTS[(client * 5 + number) % len(SUBJECTS)]
            body = {
                "model": MODEL,
                "prompt": f"# {client}.{number}: Python code for {subject}\nclass Item{number}:\n",
                "max_tokens": 64,
                "temperature": 0,
                "postprocess": False,
            }
            started = time.perf_counter()
            response = await http.post(service.url + "/v1/completions", json=body)
            response.raise_for_status()
            latencies.append(time.perf_counter() - started)
            produced += int(response.json()["usage"]["completion_tokens"])
        return latencies, produced

    async with httpx.AsyncClient(timeout=600) as http:
        started = time.perf_counter()
        results = await asyncio.gather(*(one(http, c) for c in range(args.clients)))
        wall = time.perf_counter() - started
    latencies = [x for got, _ in results for x in got]
    tokens = sum(n for _, n in results)
    return tokens / wall, latencies, tokens


# --- prompt evaluation and one stream --------------------------------------------------


def source_text() -> str:
    library = Path(sysconfig.get_paths()["stdlib"])
    return "".join(p.read_text(errors="replace") for p in sorted(library.glob("[a-c]*.py")))


def reported(timings: dict[str, Any]) -> dict[str, float]:
    """The ``timings`` of a ``/v1/completions`` answer in llama.cpp's names, whichever server."""
    names = {
        "prompt_n": "evaluated_tokens",
        "prompt_ms": "prompt_ms",
        "predicted_n": "completion_tokens",
        "predicted_ms": "generation_ms",
        "draft_n": "draft_tokens",
        "draft_n_accepted": "accepted_tokens",
    }
    return {
        theirs: float(timings.get(theirs, timings.get(ours, 0)) or 0)
        for theirs, ours in names.items()
    }


def complete(service: Service, prompt: str, tokens: int) -> tuple[str, dict[str, float]]:
    body = {"model": MODEL, "prompt": prompt, "max_tokens": tokens, "temperature": 0}
    body |= {"top_k": 1, "postprocess": False, "cache_prompt": False}
    answer = httpx.post(service.url + "/v1/completions", json=body, timeout=600).json()
    return answer["choices"][0]["text"], reported(answer["timings"])


def prompt_rate(service: Service, text: str, tokens: int, tag: int) -> tuple[float, int]:
    """Prompt tokens/s of one uncached prompt of about ``tokens`` tokens, as reported."""
    chars = int(tokens * 4.1)  # characters a token in this code; the reported n is used
    prompt = f"# run {tag} {random.random()}\n" + text[tag * 9000 : tag * 9000 + chars]
    _, timings = complete(service, prompt, 1)
    return timings["prompt_n"] / timings["prompt_ms"] * 1000, int(timings["prompt_n"])


def stream_rate(service: Service, prompt: str, tokens: int) -> tuple[float, str, dict[str, float]]:
    """Generation tokens/s of one greedy completion, as reported, and its text."""
    text, timings = complete(service, prompt, tokens)
    return timings["predicted_n"] / timings["predicted_ms"] * 1000, text, timings


def repeating_prompt() -> str:
    """Code, then the start of a copy of it: a greedy answer repeats the prompt (the same
    prompt as tests/e2e/test_speculative.py)."""
    text = (Path(sysconfig.get_paths()["stdlib"]) / "bisect.py").read_text()
    block = text[text.index("\ndef ") + 1 :][:1500]
    first = block.split("\n", 1)[0]
    return f"# util.py\n{block}\n\n# util_copy.py: an exact copy of util.py\n{first}\n"


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default=",".join(PARTS))
    parser.add_argument("--llama-server", help="a llama-server binary (default: build, cache)")
    add_keystroke_arguments(parser)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=6, help="per client")
    parser.add_argument("--sizes", default="400,800,1500,3300,4000")
    parser.add_argument("--rounds", type=int, default=2, help="of the clients and prompt parts")
    parser.add_argument("--config", default="", help="extra codefill settings (TOML lines)")
    args = parser.parse_args()
    parts = [p.strip() for p in args.parts.split(",")]
    threads = os.cpu_count() or 1
    model = resolve_builtin(MODEL, Path.home() / ".cache" / "codefill")
    binary = llama_server_binary(args.llama_server)
    workdir = Path(tempfile.mkdtemp(prefix="codefill-vs-llama-server-"))
    print(f"{machine()}; {binary}; workdir {workdir}", flush=True)
    config = args.config.replace("\\n", "\n")
    services = {
        "codefill": codefill_server(workdir, threads, config),
        "llama-server": llama_server(workdir, binary, model, threads),
    }
    report = [f"llama.cpp's server against codefill, {MODEL}, {threads} threads ({machine()})"]
    try:
        if "keystroke" in parts:
            places = pick_places(args.files, args.places, args.keys)
            got = asyncio.run(keystrokes(services, places, args))
            report.append(report_keystrokes(got, places, args))
        if "clients" in parts:
            report.append(client_rounds(services, args))
        if "prompt" in parts:
            report.append(prompt_rounds(services, args))
        if "stream" in parts:
            report.append(streams(services, workdir, threads, config))
    finally:
        for service in services.values():
            service.stop()
    save("llama_server", "\n".join(report))


def in_turn(services: dict[str, Service], round_: int) -> list[tuple[str, Service]]:
    """The servers in this round's order: each goes first in every other round."""
    order = list(services.items())
    return order if round_ % 2 == 0 else order[::-1]


def client_rounds(services: dict[str, Service], args: argparse.Namespace) -> str:
    """The 4-client part, ``args.rounds`` times, the servers taking turns to go first."""
    walls: dict[str, float] = dict.fromkeys(services, 0.0)
    tokens: dict[str, int] = dict.fromkeys(services, 0)
    latencies: dict[str, list[float]] = {name: [] for name in services}
    for round_ in range(args.rounds):
        for name, service in in_turn(services, round_):
            speed, got, produced = asyncio.run(clients(service, args))
            walls[name] += produced / speed
            tokens[name] += produced
            latencies[name] += got
    rate = {name: tokens[name] / walls[name] for name in services}
    p95 = {name: percentile(latencies[name], 0.95) for name in services}
    rows = [
        [
            name,
            rate[name],
            p95[name],
            tokens[name],
            rate[name] / rate["llama-server"],
            p95[name] / p95["llama-server"],
        ]
        for name in services
    ]
    return table(
        f"{args.clients} clients, {args.requests} whole 64-token completions each "
        f"(post-processing off), {args.rounds} rounds taking turns",
        ["server", "tokens/s", "p95 s", "tokens", "tokens/s ratio", "p95 ratio"],
        rows,
    )


def prompt_rounds(services: dict[str, Service], args: argparse.Namespace) -> str:
    """Prompt evaluation by size, the median of ``args.rounds`` rounds taking turns."""
    text = source_text()
    sizes = [int(s) for s in args.sizes.split(",")]
    rates: dict[tuple[str, int], list[tuple[float, int]]] = {}
    for round_ in range(args.rounds):
        for tag, size in enumerate(sizes):
            for name, service in in_turn(services, round_ + tag):
                tag_ = tag + round_ * len(sizes)  # another text each round: nothing cached
                rates.setdefault((name, size), []).append(prompt_rate(service, text, size, tag_))
    rows = []
    for size in sizes:
        ours, theirs = rates[("codefill", size)], rates[("llama-server", size)]
        mine, peer = median([r for r, _ in ours]), median([r for r, _ in theirs])
        rows.append([ours[0][1], mine, theirs[0][1], peer, mine / peer])
    return table(
        f"prompt evaluation alone (max 1 token, nothing cached), as each server reports; "
        f"median of {args.rounds} rounds taking turns",
        ["codefill tokens", "codefill tok/s", "peer tokens", "peer tok/s", "ratio"],
        rows,
    )


def streams(services: dict[str, Service], workdir: Path, threads: int, config: str) -> str:
    fresh = "# binary_tree.py\nclass Node:\n"
    repeating = repeating_prompt()
    drafting = codefill_server(workdir, threads, config + "\nspeculative = true\n", "drafts")
    runs: dict[str, dict[str, tuple[float, str, dict[str, float]]]] = {}
    try:
        everyone: dict[str, Service] = {**services, "codefill (drafts)": drafting}
        for name, service in everyone.items():
            runs[name] = {
                "fresh": stream_rate(service, fresh, 128),
                "repeating": stream_rate(service, repeating, 128),
            }
    finally:
        drafting.stop()
    rows = []
    for name, got in runs.items():
        drafted = got["repeating"][2]
        rows.append(
            [
                name,
                got["fresh"][0],
                got["repeating"][0],
                got["fresh"][0] / runs["llama-server"]["fresh"][0],
                got["repeating"][0] / runs["codefill"]["repeating"][0],
                f"{drafted['draft_n_accepted']:.0f}/{drafted['draft_n']:.0f}",
            ]
        )
    same = all(
        runs["codefill"][kind][1] == runs["codefill (drafts)"][kind][1]
        for kind in ("fresh", "repeating")
    )
    return (
        table(
            "one stream, 128 greedy tokens: fresh code, and code that repeats its prompt",
            [
                "server",
                "fresh tok/s",
                "repeating tok/s",
                "fresh vs llama-server",
                "repeating vs codefill",
                "drafts accepted",
            ],
            rows,
        )
        + f"\n\ncodefill's greedy texts with and without drafts identical: {same}"
    )


if __name__ == "__main__":
    main()
