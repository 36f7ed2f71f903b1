"""The reuse margin against keystroke time and answers: codefill arms side by side.

A moved chunk's first ``reuse_margin`` tokens are computed again (``engine/reuse.py``); on a
keystroke that chunk is the code after the cursor, so the margin is part of every key's
step. This runs the keystroke part of ``benchmarks/llama_server.py`` (same places, keys,
windows) on three codefill servers in one run, each place on each arm in turn: the default
margin (16), a small one (4), and chunk moving off (``reuse_min_chunk = 0``), which
computes the code after the cursor afresh on every key and is the reference for answers.

    .venv/bin/python benchmarks/reuse_margin.py [--places 6]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from harness import machine, percentile, save, table
from llama_server import MODEL, add_keystroke_arguments, codefill_server, keystrokes, pick_places

ARMS = {"margin 16": "", "margin 4": "reuse_margin = 4", "fresh": "reuse_min_chunk = 0"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_keystroke_arguments(parser)
    args = parser.parse_args()
    args.model = MODEL
    workdir = Path(tempfile.mkdtemp(prefix="codefill-reuse-margin-"))
    threads = os.cpu_count() or 1
    print(machine(), flush=True)
    services = {
        name: codefill_server(workdir, threads, extra, name=name.replace(" ", "-"))
        for name, extra in ARMS.items()
    }
    places = pick_places(args.files, args.places, args.keys)
    try:
        got = asyncio.run(keystrokes(services, places, args))
    finally:
        for service in services.values():
            service.stop()
    base = percentile([a.done for a in got["margin 16"]], 0.5)
    rows = []
    for name, answers in got.items():
        done = [a.done for a in answers]
        right = sum(
            a.text.strip() == p.line[args.keys :].strip()
            for a, p in zip(answers, places, strict=True)
        )
        same = sum(a.text == f.text for a, f in zip(answers, got["fresh"], strict=True))
        rows.append(
            [
                name,
                percentile(done, 0.5),
                percentile(done, 0.95),
                percentile(done, 0.5) / base,
                f"{same}/{len(answers)}",
                f"{right}/{len(answers)}",
            ]
        )
    text = table(
        f"reuse margin: {len(places)} places, {args.keys} keys {args.gap * 1000:.0f} ms apart "
        f"({machine()})",
        ["arm", "last key p50 s", "p95 s", "p50 / margin 16", "as fresh", "rest of line"],
        rows,
    )
    print(text)
    save("reuse_margin", text)


if __name__ == "__main__":
    main()
