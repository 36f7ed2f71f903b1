"""Shared pieces of the benchmark scripts: servers, percentiles, tables, plots, process stats.

Benchmarks run the compared systems side by side in one run on this machine and print
ratios with the absolute numbers beside them. They are scripts, not tests: nothing here
asserts a timing.
"""

from __future__ import annotations

import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

RESULTS = Path(__file__).parent / "results"


@dataclass
class Service:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def cpu_seconds(self) -> float:
        """User plus system CPU time so far of the server process and of its children (a
        codefill server's model workers), all their threads."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # gone meanwhile
                continue
            if stat.parent.name == str(self.process.pid) or fields[1] == str(self.process.pid):
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(
    name: str, command: list[str], ready: str, workdir: Path, env: dict[str, str] | None = None
) -> Service:
    """Start a server and wait until ``ready`` answers 200."""
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(ready, timeout=2).status_code == 200:
                scheme, _, rest = ready.partition("://")
                return Service(name, f"{scheme}://{rest.split('/', 1)[0]}", process, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{name} did not come up; see {log}")


def codefill(workdir: Path, config: str = "", name: str = "codefill") -> Service:
    port = free_port()
    path = workdir / f"{name}.toml"
    path.write_text(config)
    command = [
        sys.executable,
        "-m",
        "codefill",
        "serve",
        "--port",
        str(port),
        "--config",
        str(path),
    ]
    command += ["--log-level", "warning"]
    return start(name, command, f"http://127.0.0.1:{port}/health", workdir)


def peer(workdir: Path, model: str, threads: int, n_ctx: int, name: str = "peer") -> Service:
    """llama-cpp-python's own OpenAI-compatible server on the same GGUF and thread count."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", model, "--port", str(port)]
    command += ["--n_threads", str(threads), "--n_threads_batch", str(threads)]
    command += ["--n_ctx", str(n_ctx), "--verbose", "False"]
    return start(name, command, f"http://127.0.0.1:{port}/v1/models", workdir)


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, printed and returned (for the README)."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = [f"\n{title}\n"]
    lines.append("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        padded = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("| " + " | ".join(padded) + " |")
    text = "\n".join(lines)
    print(text, flush=True)
    return text


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def machine() -> str:
    """The machine a figure came from: cores, the CPU's model name and whether it has AMX."""
    return (
        f"{os.cpu_count()} cores ({cpu_name()}), Python {platform.python_version()}, "
        f"{platform.system()}"
    )


def cpu_name() -> str:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    name = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.machine(),
    )
    return f"{name}, {'with' if 'amx_tile' in cpuinfo else 'no'} AMX"


def save(name: str, text: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.md"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    path.write_text(f"<!-- {stamp}; {machine()} -->\n{text}\n")
    return path


def _figure() -> tuple[Any, Any, Any] | None:
    """(pyplot, figure, axes), or None with a note when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as pyplot
    except ImportError:
        print("(matplotlib is not installed: no plot; pip install 'codefill[bench]')")
        return None
    figure, axes = pyplot.subplots(figsize=(7, 4))
    return pyplot, figure, axes


def _save_figure(pyplot: Any, figure: Any, name: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.png"
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    print(f"plot: {path}")
    return path


def plot(
    name: str,
    title: str,
    series: dict[str, tuple[Sequence[float], Sequence[float]]],
    xlabel: str,
    ylabel: str,
) -> Path | None:
    """A line plot PNG next to the tables."""
    made = _figure()
    if made is None:
        return None
    pyplot, figure, axes = made
    for label, (xs, ys) in series.items():
        axes.plot(xs, ys, marker="o", label=label)
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(True, alpha=0.3)
    axes.legend()
    return _save_figure(pyplot, figure, name)


def bars(name: str, title: str, groups: dict[str, dict[str, float]], ylabel: str) -> Path | None:
    """Grouped bars: ``groups[group][system] = value``."""
    made = _figure()
    if made is None:
        return None
    pyplot, figure, axes = made
    systems = sorted({system for values in groups.values() for system in values})
    width = 0.8 / max(len(systems), 1)
    for index, system in enumerate(systems):
        xs = [i + index * width for i in range(len(groups))]
        axes.bar(xs, [groups[g].get(system, 0.0) for g in groups], width, label=system)
    axes.set_xticks([i + width * (len(systems) - 1) / 2 for i in range(len(groups))])
    axes.set_xticklabels(list(groups))
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    axes.legend()
    return _save_figure(pyplot, figure, name)
