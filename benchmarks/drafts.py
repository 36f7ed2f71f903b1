"""Speculative decoding in the scheduler alone: speed and greedy text, drafts on and off.

No HTTP and no worker process: codefill's scheduler on the 0.5B coder, 2 threads, 64
greedy tokens for 12 FIM middles of standard-library files (a 1,600-character prefix, a
600-character suffix) and one completion that copies its prompt, first without drafts then
with them (same backend, one run). Prints generation tokens/s of each, the ratio, drafted
and taken tokens, and how many greedy texts are identical (``--margin`` sets
``draft_margin``; 0 turns the close-call rule off).

    .venv/bin/python benchmarks/drafts.py [--margin 1.0]
"""

from __future__ import annotations

import argparse
import random
import sysconfig
import threading
from pathlib import Path

from harness import machine, save, table

from codefill.builtin import QWEN_CODER, resolve_builtin
from codefill.engine.base import Delta, Job, SamplingParams
from codefill.engine.llama_cpp import LlamaBackend
from codefill.engine.scheduler import Scheduler
from codefill.settings import Settings

FILES = ["bisect.py", "heapq.py", "shlex.py", "textwrap.py", "fnmatch.py", "glob.py"]


def prompts() -> list[str]:
    library = Path(sysconfig.get_paths()["stdlib"])
    rng = random.Random(3)
    chosen = []
    for name in FILES:
        text = (library / name).read_text()
        for _ in range(2):
            cut = text.index("\n", rng.randrange(1600, len(text) - 600)) + 1
            before, after = text[cut - 1600 : cut], text[cut : cut + 600]
            chosen.append(f"<|fim_prefix|>{before}<|fim_suffix|>{after}<|fim_middle|>")
    text = (library / "bisect.py").read_text()
    block = text[text.index("\ndef ") + 1 :][:1500]
    first = block.split("\n", 1)[0]
    chosen.append(f"# util.py\n{block}\n\n# util_copy.py: an exact copy of util.py\n{first}\n")
    return chosen


def run(backend: LlamaBackend, texts: list[str], config: Settings) -> list[Delta]:
    scheduler = Scheduler(backend, config)
    answers = []
    try:
        for text in texts:
            done = threading.Event()
            deltas: list[Delta] = []

            def sink(
                delta: Delta, deltas: list[Delta] = deltas, done: threading.Event = done
            ) -> None:
                deltas.append(delta)
                if delta.finish is not None:
                    done.set()

            tokens = tuple(backend.tokenize(text, special=True))
            scheduler.submit(Job(tokens, SamplingParams(temperature=0, max_tokens=64)), sink)
            done.wait(600)
            answers.append(Delta("".join(d.text for d in deltas), None, deltas[-1].usage))
    finally:
        scheduler.close()
    return answers


def rate(answers: list[Delta]) -> tuple[float, int, int]:
    usages = [a.usage for a in answers if a.usage is not None]
    tokens = sum(u.completion_tokens for u in usages)
    seconds = sum(u.generation_seconds for u in usages)
    return (
        tokens / seconds,
        sum(u.draft_tokens for u in usages),
        sum(u.accepted_tokens for u in usages),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--margin", type=float, default=1.0)
    args = parser.parse_args()
    model = resolve_builtin(QWEN_CODER, Path.home() / ".cache" / "codefill")
    backend = LlamaBackend(model, name="coder", seq_context=8192, slots=2, n_seq=4, n_threads=2)
    texts = prompts()
    plain = run(backend, texts, Settings(slots=2, speculative=False))
    drafted = run(backend, texts, Settings(slots=2, speculative=True, draft_margin=args.margin))
    backend.close()
    rows = []
    for kind, part in (("FIM middles", slice(0, -1)), ("a copy of the prompt", slice(-1, None))):
        off, on = rate(plain[part]), rate(drafted[part])
        same = sum(a.text == b.text for a, b in zip(plain[part], drafted[part], strict=True))
        count = len(plain[part])
        rows.append([kind, off[0], on[0], on[0] / off[0], f"{on[2]}/{on[1]}", f"{same}/{count}"])
    save(
        "drafts",
        table(
            f"speculative decoding in the scheduler, {QWEN_CODER}, 64 greedy tokens, "
            f"draft_margin {args.margin} ({machine()})",
            ["prompts", "plain tok/s", "drafts tok/s", "ratio", "taken/drafted", "same text"],
            rows,
        ),
    )


if __name__ == "__main__":
    main()
