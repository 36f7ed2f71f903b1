"""Writing the oracle run's files, and ``codefill eval --replay``: today's rules on saved raw texts.

Greedy completions do not change between runs of the same model, prompt and server, so a
rule can be tried on the raw texts an ``--oracle`` run saved without running the model
again. The replay applies the current rules to each raw text, and again with each rule
switched off in turn, so every rule's effect on the oracle table shows in one command.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from codefill.eval.errors import HarnessError
from codefill.eval.metrics import Summary, TaskResult
from codefill.eval.oracle_report import oracle_markdown, oracle_summary_table
from codefill.eval.oracle_run import OracleRecord, cut_timeout, oracle_summary, rescore
from codefill.eval.report import markdown_table, summary_json, write_text
from codefill.eval.tasks import Task, load_tasks
from codefill.postprocess import PostprocessOptions

__all__ = ["NEW_RULES", "RULE_SWITCHES", "replay_oracle", "write_oracle"]

# The rules issue 23 added; all off is post-processing as it was before them.
NEW_RULES = ("suffix_level", "echo_anywhere", "brackets", "end_markers")

# Each switch of PostprocessOptions that a replay turns off alone to measure its rule.
RULE_SWITCHES = tuple(
    f.name for f in dataclasses.fields(PostprocessOptions) if f.name not in ("enabled", "trim")
)


def write_oracle(
    config: Any,
    summaries: Sequence[Summary],
    results: Sequence[TaskResult],
    records: Sequence[OracleRecord],
    context: dict[str, Any],
) -> int:
    """Write the oracle run's JSON (``--out``: the usual results, every oracle record with its
    raw text and tried cuts) and Markdown (``--markdown``: summary and per-task table)."""
    context = {
        **context,
        "oracle": f"cuts at line ends and in the first 2 lines, "
        f"{cut_timeout(config.timeout):g} s per cut",
    }
    rows = [("current", records)]
    try:
        if config.out is not None:
            document = {
                "run": context,
                "summary": [summary_json(summary) for summary in summaries],
                "oracle_summary": oracle_summary(records),
                "results": [{**dataclasses.asdict(r), "passed": r.passed} for r in results],
                "oracle": [record.to_json() for record in records],
            }
            write_text(config.out, json.dumps(document, indent=1, ensure_ascii=False) + "\n")
        if config.markdown is not None:
            write_text(config.markdown, oracle_markdown(rows, context))
    except OSError as error:
        raise HarnessError(f"cannot write the report: {error}") from None
    sys.stdout.write(markdown_table(summaries) + "\n" + oracle_summary_table(rows))
    return 0


def _load(
    path: Path, data: Path | None
) -> tuple[list[OracleRecord], dict[str, Task], dict[str, Any]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        records = [OracleRecord.from_json(body) for body in document["oracle"]]
        run = dict(document.get("run", {}))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise HarnessError(f"{path}: not the JSON of an --oracle run: {error}") from None
    source = data or (Path(run["data"]) if "data" in run else None)
    if source is None:
        raise HarnessError(f"{path}: names no data file; give it")
    tasks = {task.task_id: task for task in load_tasks(source)}
    missing = [r.task_id for r in records if r.task_id not in tasks]
    if missing:
        raise HarnessError(f"{source}: has no task {missing[0]}")
    return records, tasks, run


def replay_oracle(
    path: Path,
    data: Path | None,
    timeout: float,
    markdown: Path | None = None,
    out: Path | None = None,
) -> int:
    """Score today's rules on an oracle run's raw texts; print (and write) the tables."""
    records, tasks, run = _load(path, data)
    started = time.monotonic()
    current = rescore(records, tasks, PostprocessOptions(), timeout)
    rows: list[tuple[str, Sequence[OracleRecord]]] = [("current", current)]
    before = dataclasses.replace(PostprocessOptions(), **dict.fromkeys(NEW_RULES, False))
    rows.append(("before (new rules off)", rescore(records, tasks, before, timeout)))
    for switch in RULE_SWITCHES:
        options = dataclasses.replace(PostprocessOptions(), **{switch: False})
        rows.append((f"without {switch}", rescore(records, tasks, options, timeout)))
    context = {
        "replay of": str(path),
        "tasks": len(records),
        "model run": run.get("data", ""),
        "seconds": round(time.monotonic() - started, 1),
    }
    try:
        if markdown is not None:
            write_text(markdown, oracle_markdown(rows, context))
        if out is not None:
            body = {
                "run": {**run, "replay": context},
                "oracle_summary": oracle_summary(current),
                "oracle": [record.to_json() for record in current],
            }
            write_text(out, json.dumps(body, indent=1, ensure_ascii=False) + "\n")
    except OSError as error:
        raise HarnessError(f"cannot write the report: {error}") from None
    sys.stdout.write(oracle_summary_table(rows))
    return 0
