"""``codefill pull`` and ``codefill rm``: fetch a GGUF into the models folder, or remove one.

The pull's progress goes to stderr: a bar redrawn in place on a terminal, a line every
few percent otherwise (a log, a test). A pulled model is served by the name it was pulled
by, from the next start of the server or at once by a server that is running.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from codefill.errors import CodefillError
from codefill.service.pull_names import PullProgress
from codefill.service.pulled import delete_pulled, model_dir, read_manifest
from codefill.settings import Settings

__all__ = ["ProgressBar", "add_arguments", "pull", "remove"]


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pull_parser = commands.add_parser(
        "pull", help="fetch a GGUF from the Hugging Face Hub into the models folder"
    )
    pull_parser.add_argument(
        "model", help="org/repo:QUANT (e.g. Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF:Q4_K_M) or a URL"
    )
    remove_parser = commands.add_parser("rm", help="remove a pulled model from the models folder")
    remove_parser.add_argument("model", help="the name it was pulled by")
    for parser in (pull_parser, remove_parser):
        parser.add_argument("--config", help="TOML configuration file (also CODEFILL_CONFIG)")


class ProgressBar:
    """Draws :class:`PullProgress` on a stream."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.drawing = False  # a bar has been started and not ended
        self.started = time.monotonic()
        self.first = 0  # bytes there when the bar started (a resumed pull)
        self.shown = 0  # the last percent written

    def __call__(self, event: PullProgress) -> None:
        if not event.total:
            self.end()
            self.stream.write(f"{event.status}\n")
        else:
            self._bar(event)
        self.stream.flush()

    def _bar(self, event: PullProgress) -> None:
        if not self.drawing:
            self.drawing, self.started, self.first = True, time.monotonic(), event.completed
            self.shown = -5
        percent = int(100 * event.completed / event.total)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = (event.completed - self.first) / elapsed / 1e6
        text = (
            f"{event.status}: {percent:3d}% {event.completed / 1e6:8.1f}/"
            f"{event.total / 1e6:.1f} MB {rate:7.1f} MB/s"
        )
        if self.tty:
            filled = percent // 4
            self.stream.write(f"\r{text} [{'#' * filled}{'.' * (25 - filled)}]")
            self.shown = percent
        elif percent >= self.shown + 5 or (percent == 100 and self.shown < 100):
            self.stream.write(text + "\n")
            self.shown = percent

    def end(self) -> None:
        """End a bar drawn in place, before a line of text."""
        if self.tty and self.drawing:
            self.stream.write("\n")
        self.drawing = False


def pull(settings: Settings, name: str) -> int:
    from codefill.service.pull import plan_pull, run_pull  # huggingface_hub: only to pull

    bar = ProgressBar(sys.stderr)
    try:
        bar(PullProgress("pulling manifest"))
        plan = plan_pull(name, Path(settings.models_path), settings.hub_endpoint)
        config = run_pull(plan, bar)
    except CodefillError as error:
        bar.end()
        print(f"codefill: {error.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        bar.end()
        print("codefill: pull interrupted; pull again to resume it", file=sys.stderr)
        return 130
    bar(PullProgress("success"))
    print(f"{config.name}\t{config.path}")
    return 0


def remove(settings: Settings, name: str) -> int:
    models_dir = Path(settings.models_path)
    name = name.removesuffix(":latest")
    for candidate in (name, *(name.removeprefix(p) for p in ("hf.co/", "huggingface.co/"))):
        if read_manifest(model_dir(models_dir, candidate)) is not None:
            delete_pulled(models_dir, candidate)
            print(f"deleted '{candidate}'")
            return 0
    print(f"codefill: model '{name}' not found in {models_dir}", file=sys.stderr)
    return 1
