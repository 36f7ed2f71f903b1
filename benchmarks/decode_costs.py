"""Decode costs that shape a keystroke: batch rows, KV shifts, batch-versus-alone logits.

Three measurements on the 0.5B coder through codefill's own backend, one process, in turn:

* a batch of n rows (each with logits, as a speculative draft's are) against one row: on a
  CPU that is compute-bound at one row, a draft's rows cost nearly their number of decodes;
* one decode after a KV shift (``llama_memory_seq_add``: a keystroke in front of the code
  after the cursor moves that code) against one without, by context per slot (4 slots):
  llama.cpp applies the shift to every cell of the cache;
* the largest logit difference between a row decoded in a batch and the same token decoded
  alone: why a draft's close greedy calls are decoded again alone.

    .venv/bin/python benchmarks/decode_costs.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import llama_cpp as lib
import numpy as np
from harness import machine, save, table

from codefill.builtin import QWEN_CODER, resolve_builtin
from codefill.engine.llama_cpp import LlamaBackend

TEXT = "import os\ndef f(x):\n    return os.path.join(x, 'a')\n" * 120


def backend(model: str, seq_context: int) -> LlamaBackend:
    return LlamaBackend(model, name="coder", seq_context=seq_context, slots=4, n_seq=8, n_threads=2)


def batch_costs(model: str) -> list[list[object]]:
    coder = backend(model, 8192)
    tokens = coder.tokenize(TEXT, special=False)
    coder.decode(tokens[:500], list(range(500)), [0] * 500, [False] * 500)
    rows: list[list[object]] = []
    single = 0.0
    for n in (1, 2, 4, 8, 16, 32):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            coder.decode(tokens[500 : 500 + n], list(range(500, 500 + n)), [0] * n, [True] * n)
            times.append(time.perf_counter() - started)
            coder.kv_remove(0, 500, -1)
        ms = statistics.median(times) * 1000
        single = single or ms
        rows.append([n, ms, ms / n, ms / single])
    coder.close()
    return rows


def shift_costs(model: str) -> list[list[object]]:
    rows: list[list[object]] = []
    for context in (32_768, 8192, 4096):
        coder = backend(model, context)
        tokens = coder.tokenize(TEXT, special=False)
        measured: dict[bool, list[float]] = {False: [], True: []}
        for shifted in (False, True) * 3:
            coder.kv_remove(0, -1, -1)
            coder.decode(tokens[:300], list(range(300)), [0] * 300, [False] * 300)
            position = 300
            if shifted:  # the 200 tokens after position 100 move one on, as after a key
                coder.kv_shift(0, 100, 300, 1)
                position = 301
            started = time.perf_counter()
            coder.decode([tokens[300]], [position], [0], [True])
            measured[shifted].append(time.perf_counter() - started)
        plain = statistics.median(measured[False]) * 1000
        moved = statistics.median(measured[True]) * 1000
        rows.append([context, 4 * context, plain, moved, moved - plain])
        coder.close()
    return rows


def logit_differences(model: str) -> list[list[object]]:
    coder = backend(model, 8192)
    tokens = coder.tokenize(TEXT, special=False)
    coder.decode(tokens[:300], list(range(300)), [0] * 300, [False] * 300)

    def logits(index: int) -> np.ndarray:
        pointer = lib.llama_get_logits_ith(coder._ctx, index)
        return np.ctypeslib.as_array(pointer, shape=(coder._n_vocab,)).copy()

    alone = []
    for i in range(8):
        coder.decode([tokens[300 + i]], [300 + i], [0], [True])
        alone.append(logits(0))
    coder.kv_remove(0, 300, -1)
    rows: list[list[object]] = []
    for n in (2, 4, 8):
        coder.decode(tokens[300 : 300 + n], list(range(300, 300 + n)), [0] * n, [True] * n)
        worst = max(float(np.abs(logits(i) - alone[i]).max()) for i in range(n))
        rows.append([n, worst])
        coder.kv_remove(0, 300, -1)
    coder.close()
    return rows


def main() -> None:
    model = resolve_builtin(QWEN_CODER, Path.home() / ".cache" / "codefill")
    text = f"decode costs, {QWEN_CODER}, 2 threads ({machine()})"
    text += table(
        "a batch of n rows, every row with logits (median of 5)",
        ["rows", "ms", "ms a row", "vs one row"],
        batch_costs(model),
    )
    text += table(
        "one decode after a KV shift, 4 slots (median of 3)",
        ["context a slot", "cells", "plain ms", "after a shift ms", "the shift ms"],
        shift_costs(model),
    )
    text += table(
        "largest logit difference, a row in a batch against the same token decoded alone",
        ["rows in the batch", "largest difference"],
        logit_differences(model),
    )
    save("decode_costs", text)


if __name__ == "__main__":
    main()
