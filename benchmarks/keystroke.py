"""Keystroke: a developer typing through real source files, one FIM request per keystroke.

The editor sends a streaming FIM request for every keystroke, without debounce and without
cancelling the previous one (as thin clients do). Each burst types the first letters of a
word in a line of a Python standard-library file of 1-2K tokens: the line up to that word
is already there, the rest of the file follows the line, and every keystroke leaves the
cursor in the middle of the word (``self.assert|``), one key every ``--gap`` seconds.
Measured per burst, for the last keystroke: the time to its first text (TTFT) and to its
finished completion, and whether the answer shown would be accepted as is (it equals the
rest of the line); and the server's CPU time for the whole run ("model time"). Compared,
each burst on every system in turn (the order rotates from burst to burst):

* codefill with KV reuse, supersession, type-ahead and token healing (the defaults);
* codefill with token healing off (``token_healing = false``);
* codefill with the session memory of other files off (``memory = false``; not in the
  default run: ``--systems``);
* codefill with chunk reuse, supersession and type-ahead off (prefix reuse stays);
* llama-cpp-python's server on the same GGUF and threads, sent the same rendered FIM prompt
  on ``/v1/completions`` (its own ``suffix`` handling is broken upstream).

Targets: codefill's p50 (last key to done) at most 0.2 times the peer's; token healing
adds at most 10% to the p50 TTFT.

    .venv/bin/python benchmarks/keystroke.py [--files 3] [--bursts 4] [--keys 4] [--systems ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
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
WORD = re.compile(r"\w+")
SYSTEMS = {
    "codefill": "",
    "codefill (in-process)": "worker_processes = false\n",
    "codefill (no healing)": "token_healing = false\n",
    "codefill (no memory)": "memory = false\n",
    "codefill (off)": "reuse_min_chunk = 0\nsupersede = false\ntypeahead = false\n",
    "peer": None,
}


@dataclass(frozen=True)
class Burst:
    path: str
    before: str  # text up to the word being typed: the line's start is already there
    line: str  # the rest of the line from that word (without its newline)
    after: str  # the rest of the file, from the end of that line


@dataclass(frozen=True)
class Answer:
    """What the last keystroke got: times from sending it, and the text shown."""

    ttft: float
    done: float
    text: str


def pick_files(count: int, tokens: Callable[[str], int]) -> list[Path]:
    library = Path(sysconfig.get_paths()["stdlib"])
    chosen = []
    for path in sorted(library.glob("*.py")):
        text = path.read_text(errors="replace")
        if 3000 < len(text) < 9000 and 1000 <= tokens(text) <= 2000:
            chosen.append(path)
    random.Random(7).shuffle(chosen)
    return chosen[:count]


def make_bursts(files: list[Path], per_file: int, keys: int) -> list[Burst]:
    """Per file, lines with a word long enough that ``keys`` letters leave it unfinished."""
    bursts = []
    for path in files:
        text = path.read_text()
        lines = text.splitlines(keepends=True)
        starts = [sum(len(x) for x in lines[:i]) for i in range(len(lines))]
        candidates = [
            (i, word.start())
            for i in range(len(lines) // 5, len(lines) * 4 // 5)
            if len(lines[i].strip()) >= 24 and not lines[i].lstrip().startswith(("#", '"'))
            for word in WORD.finditer(lines[i])
            if len(word.group()) > keys and not word.group()[0].isdigit()
        ]
        rng = random.Random(path.name)
        for i, column in rng.sample(candidates, min(per_file, len(candidates))):
            start = starts[i] + column
            end = starts[i] + len(lines[i].rstrip("\n"))
            bursts.append(Burst(path.name, text[:start], text[start:end], text[end:]))
    return bursts


def seed_prompt(burst: Burst, typed: int) -> str:
    prefix = burst.before + burst.line[:typed]
    return f"# Path: {burst.path}\n{prefix} <SUF> {burst.after} <MID>"


def fim_prompt(burst: Burst, typed: int) -> str:
    return FIM.format(prefix=burst.before + burst.line[:typed], suffix=burst.after)


def piece_of(line: str, codefill_api: bool) -> str | None:
    """The text of one streamed line: NDJSON from codefill, SSE from the peer."""
    if codefill_api:
        return str(json.loads(line).get("response") or "") if line.strip() else None
    if not line.startswith("data: ") or line == "data: [DONE]":
        return None
    choices = json.loads(line[6:]).get("choices") or [{}]
    return str(choices[0].get("text") or "")


async def read_stream(
    http: httpx.AsyncClient, url: str, body: dict[str, object], codefill_api: bool
) -> Answer:
    """Send one request and read its stream to the end."""
    sent = time.perf_counter()
    first: float | None = None
    pieces = []
    async with http.stream("POST", url, json=body) as response:
        async for line in response.aiter_lines():
            text = piece_of(line, codefill_api)
            if text is None:
                continue
            if text and first is None:
                first = time.perf_counter() - sent
            pieces.append(text)
    done = time.perf_counter() - sent
    return Answer(done if first is None else first, done, "".join(pieces))


async def type_burst(
    http: httpx.AsyncClient,
    send: Callable[[int], tuple[str, dict[str, object]]],
    codefill_api: bool,
    keys: int,
    gap: float,
) -> Answer:
    """Type ``keys`` characters; return what the last keystroke got."""
    tasks = []
    for typed in range(1, keys + 1):
        url, body = send(typed)
        tasks.append(asyncio.create_task(read_stream(http, url, body, codefill_api)))
        if typed < keys:
            await asyncio.sleep(gap)
    finished = await asyncio.gather(*tasks, return_exceptions=True)
    last = finished[-1]
    if isinstance(last, BaseException):
        raise last
    return last


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


@dataclass
class Record:
    answers: list[Answer]
    accepted: int = 0
    first_line: int = 0
    cpu: float = 0.0


async def run(
    services: dict[str, Service], bursts: list[Burst], args: argparse.Namespace
) -> dict[str, Record]:
    """Every burst on every system, the order rotating from burst to burst."""
    records = {name: Record([]) for name in services}
    cpu = {name: service.cpu_seconds() for name, service in services.items()}
    names = list(services)
    async with httpx.AsyncClient(timeout=900) as http:
        for index, burst in enumerate(bursts):
            rest = burst.line[args.keys :].rstrip()
            for name in names[index % len(names) :] + names[: index % len(names)]:
                codefill_api = name != "peer"
                send = sender(services[name], burst, codefill_api, args.tokens)
                answer = await type_burst(http, send, codefill_api, args.keys, args.gap)
                record = records[name]
                record.answers.append(answer)
                record.accepted += answer.text.rstrip() == rest
                record.first_line += answer.text.split("\n", 1)[0].rstrip() == rest
                shown = (burst.line[: args.keys] + "|" + answer.text.split("\n", 1)[0])[:40]
                print(f"  {name:<22} {burst.path:<18} {answer.done:6.2f} s  {shown!r}", flush=True)
    for name, service in services.items():
        records[name].cpu = service.cpu_seconds() - cpu[name]
    return records


def start_services(
    workdir: Path, chosen: list[str], model: str, threads: int
) -> dict[str, Service]:
    services: dict[str, Service] = {}
    try:
        for name in chosen:
            config = SYSTEMS[name]
            if config is None:
                services[name] = peer(workdir, model, threads, n_ctx=4096)
                continue
            slug = re.sub(r"[^a-z]+", "-", name).strip("-")
            service = codefill(workdir, f"threads = {threads}\n{config}", name=slug)
            services[name] = service
            httpx.post(
                service.url + "/api/generate", json={"model": MODEL, "prompt": ""}, timeout=300
            )
    except BaseException:
        for service in services.values():
            service.stop()
        raise
    return services


def report(records: dict[str, Record], bursts: int, args: argparse.Namespace) -> None:
    base = "peer" if "peer" in records else next(iter(records))
    base_p50 = percentile([a.done for a in records[base].answers], 0.5)
    rows = []
    for name, record in records.items():
        done = [a.done for a in record.answers]
        ttft = [a.ttft for a in record.answers]
        p50 = percentile(done, 0.5)
        rows.append(
            [
                name,
                percentile(ttft, 0.5),
                p50,
                percentile(done, 0.95),
                p50 / base_p50,
                f"{record.accepted}/{bursts}",
                f"{record.first_line}/{bursts}",
                record.cpu,
            ]
        )
    text = table(
        f"keystroke: {bursts} bursts of {args.keys} keystrokes {args.gap * 1000:.0f} ms apart, "
        f"each leaving the cursor mid-word, {MODEL}, {args.threads} threads, completions of "
        f"at most {args.tokens} tokens ({machine()})",
        [
            "system",
            "TTFT p50 s",
            "p50 s (last key to done)",
            "p95 s",
            f"p50 vs {base}",
            "accepted as is",
            "first line right",
            "server CPU s",
        ],
        rows,
    )
    if "codefill" in records and "codefill (no healing)" in records:
        on = percentile([a.ttft for a in records["codefill"].answers], 0.5)
        off = percentile([a.ttft for a in records["codefill (no healing)"].answers], 0.5)
        text += f"\n\ntoken healing, TTFT p50 on/off: {on / off:.3f} (target: at most 1.10)"
        print(text.rsplit("\n", 1)[-1])
    print("target: codefill p50 at most 0.2x the peer's")
    save("keystroke", text)
    bars(
        "keystroke",
        "last keystroke to finished completion",
        {
            "p50": {n: percentile([a.done for a in r.answers], 0.5) for n, r in records.items()},
            "p95": {n: percentile([a.done for a in r.answers], 0.95) for n, r in records.items()},
        },
        "seconds",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--bursts", type=int, default=4, help="bursts per file")
    parser.add_argument("--keys", type=int, default=4, help="keystrokes per burst")
    parser.add_argument("--gap", type=float, default=0.12, help="seconds between keys")
    parser.add_argument("--tokens", type=int, default=24)
    parser.add_argument(
        "--systems",
        default=",".join(name for name in SYSTEMS if name != "codefill (no memory)"),
        help=f"comma-separated, from: {', '.join(SYSTEMS)} (default: all but no memory)",
    )
    args = parser.parse_args()
    chosen = [name.strip() for name in args.systems.split(",")]
    unknown = [name for name in chosen if name not in SYSTEMS]
    if unknown:
        parser.error(f"unknown system(s) {unknown}; known: {list(SYSTEMS)}")
    args.threads = os.cpu_count() or 1
    workdir = Path(tempfile.mkdtemp(prefix="codefill-keystroke-"))
    model = resolve_builtin(MODEL, Path(os.path.expanduser("~/.cache/codefill")))
    from llama_cpp import Llama

    vocab = Llama(model_path=model, vocab_only=True, verbose=False)
    files = pick_files(args.files, lambda text: len(vocab.tokenize(text.encode(), add_bos=False)))
    bursts = make_bursts(files, args.bursts, args.keys)
    print(f"files: {', '.join(p.name for p in files)}; {len(bursts)} bursts of {args.keys} keys")
    services = start_services(workdir, chosen, model, args.threads)
    try:
        records = asyncio.run(run(services, bursts, args))
    finally:
        for service in services.values():
            service.stop()
    report(records, len(bursts), args)


if __name__ == "__main__":
    main()
