"""Post-processing latency: the rules before issue 23 against today's, on recorded completions.

Each recorded raw completion (the ``oracle`` records of a ``codefill eval --oracle`` run,
with their tasks' prefix and suffix) is streamed through a fresh ``PostProcessor`` in
small chunks, as the engine's tokens arrive, and the whole completion is timed. The rules
of ``--before`` (a git revision; its ``codefill/postprocess`` is loaded from git beside
today's) and today's run alternately, completion by completion, in one process. Prints
p50 and p95 per completion in ms for both, the ratio and the difference.
Target: today's p50 at most 2 ms above before's.

    .venv/bin/python benchmarks/postprocess_latency.py docs/eval/oracle-light.json [--rounds 5]
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from codefill.eval.tasks import load_tasks

BEFORE = "0f8b4fb"  # main before issue 23's rules
CHUNK = 4  # characters per streamed piece, about a token of code


def load_before(revision: str, into: Path) -> Any:
    """``codefill/postprocess`` at ``revision`` as the package ``postprocess_before``."""
    package = into / "postprocess_before"
    package.mkdir()
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", f"{revision}:codefill/postprocess"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in names:
        source = subprocess.run(
            ["git", "show", f"{revision}:codefill/postprocess/{name}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        text = source.replace("codefill.postprocess", "postprocess_before")
        (package / name).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(into))
    return importlib.import_module("postprocess_before")


def timed(module: Any, context: Any, raw: str) -> float:
    started = time.perf_counter()
    processor = module.PostProcessor(context)
    for start in range(0, len(raw), CHUNK):
        processor.feed(raw[start : start + CHUNK])
        if processor.stopped:
            break
    processor.flush()
    processor.report()
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("oracle", nargs="+", type=Path, help="--out files of --oracle runs")
    parser.add_argument("--before", default=BEFORE, help=f"git revision (default {BEFORE})")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the completions")
    args = parser.parse_args()

    import codefill.postprocess as today

    pairs: list[tuple[str, str, str]] = []
    for path in args.oracle:
        document = json.loads(path.read_text(encoding="utf-8"))
        tasks = {task.task_id: task for task in load_tasks(Path(document["run"]["data"]))}
        for record in document["oracle"]:
            task = tasks[record["task_id"]]
            pairs.append((task.prefix, task.suffix, record["raw"]))
    with tempfile.TemporaryDirectory() as folder:
        before = load_before(args.before, Path(folder))
        times: dict[str, list[float]] = {"before": [], "today": []}
        for _ in range(args.rounds):
            for prefix, suffix, raw in pairs:
                for name, module in (("before", before), ("today", today)):
                    context = module.CompletionContext(prefix, suffix, "Python")
                    times[name].append(timed(module, context, raw))
    p50 = {name: statistics.median(values) for name, values in times.items()}
    p95 = {name: statistics.quantiles(values, n=20)[-1] for name, values in times.items()}
    print(f"completions: {len(pairs)}, rounds: {args.rounds}, chunk: {CHUNK} characters")
    print("| rules | p50 ms | p95 ms |\n|---|---|---|")
    for name in ("before", "today"):
        label = f"before ({args.before})" if name == "before" else "today"
        print(f"| {label} | {p50[name]:.3f} | {p95[name]:.3f} |")
    ratio = p50["today"] / p50["before"] if p50["before"] else float("inf")
    added = p50["today"] - p50["before"]
    print(f"p50 today / before: {ratio:.2f}x, added {added:.3f} ms per completion (target <= 2 ms)")
    return 0 if added <= 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
