"""The 1.5B coder against the 0.5B on the keystroke bench, with and without drafts.

The same llama.vim-style keystrokes as ``benchmarks/llama_server.py`` (at 18 places in three
standard-library files the cursor lands, the editor asks and the user reads the answer, then
types 12 keys 80 ms apart; sliding window of 1,600 characters before the cursor and 600
after, at most 48 tokens, stop at a newline, stale requests dropped), sent to four arms in
turn, one request at a time: the 0.5B and the 1.5B on one codefill server as shipped
(speculative decoding off), the 1.5B with 8,192 tokens a slot (as before its profile's
4,096: a KV shift costs every cell of the cache) on a second server, and the 1.5B with
``speculative = true`` on a third. Prints last key to done (p50, p95) with ratios against
the 0.5B, the share of answers that are the rest of the typed line, in how many places the
1.5B's greedy text was the same with and without drafts, and the last keys' own timings.

    .venv/bin/python benchmarks/coder_sizes.py [--places 6] [--files 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import httpx
from harness import Service, codefill, machine, percentile, save, table
from llama_server import Answer, Place, add_keystroke_arguments, breakdown, pick_places, type_place

from codefill.builtin import QWEN_CODER, QWEN_CODER_1_5B

ARMS = {  # name: (server, model)
    "0.5B": ("plain", QWEN_CODER),
    "1.5B": ("plain", QWEN_CODER_1_5B),
    "1.5B, 8,192 a slot": ("wide", QWEN_CODER_1_5B),
    "1.5B + drafts": ("drafting", QWEN_CODER_1_5B),
}
# the 1.5B as it was served before its profile's 4,096 tokens a slot
WIDE = f"""
[[models]]
name = "{QWEN_CODER_1_5B}"
builtin = "{QWEN_CODER_1_5B}"
context_length = 8192
"""


async def run(
    servers: dict[str, Service], places: list[Place], args: argparse.Namespace
) -> dict[str, list[Answer]]:
    answers: dict[str, list[Answer]] = {arm: [] for arm in ARMS}
    names = list(ARMS)
    async with httpx.AsyncClient(timeout=600) as http:
        for index, place in enumerate(places):
            for arm in names[index % len(names) :] + names[: index % len(names)]:
                server, model = ARMS[arm]
                arm_args = argparse.Namespace(**vars(args), model=model)
                answer = await type_place(http, servers[server].url, place, arm_args)
                answers[arm].append(answer)
                shown = (place.line[: args.keys] + "|" + answer.text)[:44]
                print(f"  {arm:<14} {place.path:<16} {answer.done:6.2f} s  {shown!r}", flush=True)
            await asyncio.sleep(0.5)
    return answers


def report(answers: dict[str, list[Answer]], places: list[Place], args: argparse.Namespace) -> str:
    base = [a.done for a in answers["0.5B"]]
    base50, base95 = percentile(base, 0.5), percentile(base, 0.95)
    rows = []
    for arm, got in answers.items():
        done = [a.done for a in got]
        right = sum(
            a.text.strip() == p.line[args.keys :].strip() for a, p in zip(got, places, strict=True)
        )
        drafts = sum(float(a.timings.get("timings", {}).get("draft_n", 0)) for a in got)
        taken = sum(float(a.timings.get("timings", {}).get("draft_n_accepted", 0)) for a in got)
        rows.append(
            [
                arm,
                percentile([a.first for a in got], 0.5),
                percentile(done, 0.5),
                percentile(done, 0.95),
                percentile(done, 0.5) / base50,
                percentile(done, 0.95) / base95,
                f"{right}/{len(got)}",
                f"{taken:.0f}/{drafts:.0f}",
            ]
        )
    same = sum(
        a.text == b.text for a, b in zip(answers["1.5B"], answers["1.5B + drafts"], strict=True)
    )
    text = table(
        f"keystroke: {len(places)} places, {args.keys} keys {args.gap * 1000:.0f} ms apart, "
        f"prefix {args.prefix_chars} chars, suffix {args.suffix_chars}, at most {args.tokens} "
        "tokens, stop at a newline, stale requests dropped",
        [
            "arm",
            "first text p50 s",
            "last key to done p50 s",
            "p95 s",
            "p50 / 0.5B",
            "p95 / 0.5B",
            "rest of line",
            "drafts taken",
        ],
        rows,
    )
    keys = ("queue_ms", "cache_n", "prompt_n", "prompt_ms", "predicted_n", "predicted_ms")
    means = {arm: breakdown(got) for arm, got in answers.items()}
    text += "\n" + table(
        "the last keys' own timings, means (codefill's `timings`)",
        ["arm", *keys],
        [[arm, *(means[arm][key] for key in keys)] for arm in answers],
    )
    return text + f"\n1.5B greedy text with and without drafts: the same in {same}/{len(places)}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_keystroke_arguments(parser)
    args = parser.parse_args()
    threads = os.cpu_count() or 1
    workdir = Path(tempfile.mkdtemp(prefix="codefill-coder-sizes-"))
    print(f"{machine()}; workdir {workdir}", flush=True)
    config = f"threads = {threads}\n"
    servers = {
        "plain": codefill(workdir, config, name="plain"),
        "drafting": codefill(workdir, config + "speculative = true\n", name="drafting"),
        "wide": codefill(workdir, config + WIDE, name="wide"),
    }
    try:
        for server, model in ARMS.values():  # load (and assemble) before the clock runs
            started = time.perf_counter()
            httpx.post(servers[server].url + "/api/generate", json={"model": model}, timeout=600)
            print(f"  loaded {model} on {server} in {time.perf_counter() - started:.1f} s")
        places = pick_places(args.files, args.places, args.keys)
        answers = asyncio.run(run(servers, places, args))
    finally:
        for service in servers.values():
            service.stop()
    title = f"The 1.5B coder against the 0.5B, {threads} threads ({machine()})"
    save("coder_sizes", title + "\n\n" + report(answers, places, args))


if __name__ == "__main__":
    main()
