"""Prompt and generation speed with llama.cpp's extra buffer types on and off.

Off is what codefill chooses on CPUs with AMX (whose kernels crash, see engine/cpu.py) and
after a worker crashed before its first decode; on is llama.cpp's default elsewhere
(repacked weights for faster kernels). Two codefill servers, one per setting, on the same
model and threads, measured alternately: prompt evaluation of a fresh ~1,000-token prompt
(``timings.prompt_ms``, nothing reused from the cache) and 128 greedy tokens of generation.

    .venv/bin/python benchmarks/extra_buffers.py [--runs 3] [--model qwen2.5-coder]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import httpx
from harness import codefill, machine, save, table

from codefill.builtin import QWEN_CODER

CODE = Path(__file__).read_text()


def prompt_speed(url: str, model: str, run: int) -> float:
    """Prompt tokens per second for a prompt whose first token is new to the cache."""
    body = {
        "model": model,
        "prompt": f"# run {run}\n{CODE[:3500]}",
        "raw": True,
        "stream": False,
        "postprocess": False,
        "options": {"num_predict": 1, "temperature": 0},
    }
    timings = httpx.post(url + "/api/generate", json=body, timeout=600).json()["timings"]
    return float(timings["evaluated_tokens"]) / (float(timings["prompt_ms"]) / 1000)


def generation_speed(url: str, model: str) -> float:
    body = {
        "model": model,
        "prompt": "def quicksort(arr):",
        "raw": True,
        "stream": False,
        "postprocess": False,
        "options": {"num_predict": 128, "temperature": 0, "stop": []},
    }
    answer = httpx.post(url + "/api/generate", json=body, timeout=600).json()
    return float(answer["eval_count"]) / (float(answer["eval_duration"]) / 1e9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--model", default=QWEN_CODER)
    args = parser.parse_args()
    threads = os.cpu_count() or 1
    settings = ("on", "off")
    speeds: dict[str, dict[str, list[float]]] = {s: {"prompt": [], "gen": []} for s in settings}
    with tempfile.TemporaryDirectory() as workdir:
        servers = {
            setting: codefill(
                Path(workdir),
                # no moved-chunk reuse: each run's prompt is evaluated whole
                f'threads = {threads}\nreuse_min_chunk = 0\nextra_buffer_types = "{setting}"\n',
                name=f"extra-{setting}",
            )
            for setting in settings
        }
        try:
            for server in servers.values():
                generation_speed(server.url, args.model)  # load and warm up
            for run in range(args.runs):
                for setting, server in servers.items():
                    speeds[setting]["prompt"].append(prompt_speed(server.url, args.model, run))
                    speeds[setting]["gen"].append(generation_speed(server.url, args.model))
        finally:
            for server in servers.values():
                server.stop()
    base = {kind: statistics.median(speeds["on"][kind]) for kind in ("prompt", "gen")}
    rows = [
        [
            setting,
            statistics.median(speeds[setting]["prompt"]),
            statistics.median(speeds[setting]["prompt"]) / base["prompt"],
            statistics.median(speeds[setting]["gen"]),
            statistics.median(speeds[setting]["gen"]) / base["gen"],
        ]
        for setting in settings
    ]
    text = table(
        f"extra buffer types: {args.model}, {threads} threads, median of {args.runs} ({machine()})",
        ["extra_buffer_types", "prompt tok/s", "vs on", "generation tok/s", "vs on"],
        rows,
    )
    save("extra_buffers", text)


if __name__ == "__main__":
    main()
