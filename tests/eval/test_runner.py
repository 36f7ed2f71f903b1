"""The run on a fake engine, and the command's exit codes when the harness cannot run."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from codefill.eval.progress import Progress
from codefill.eval.runner import Attempt, EvalConfig, evaluate
from codefill.eval.server import free_port
from codefill.eval.tasks import Task

REPLY = "    return 2 * x\n"
TEST = "def check(candidate):\n    assert candidate(3) == 6\n"
RIGHT = Task("t/right", "double", "def double(x):\n", "", "    return 2 * x\n", TEST)
WRONG = Task(
    "t/wrong", "double", "def double(x):\n", "", "    return x + x\n", TEST.replace("6", "7")
)


def test_evaluate_requests_executes_and_scores_in_job_order(fake_app: Callable[..., Any]) -> None:
    attempts = [Attempt("default", post, task) for post in (True, False) for task in (WRONG, RIGHT)]
    attempts.append(Attempt("missing", True, RIGHT))
    stream = io.StringIO()
    progress = Progress(len(attempts), stream)
    with TestClient(fake_app(reply=REPLY)) as client:
        results = evaluate(client, attempts, EvalConfig(num_predict=16), progress)
    assert [(r.task_id, r.postprocess) for r in results] == [
        (attempt.task.task_id, attempt.postprocess) for attempt in attempts
    ]
    assert [r.status for r in results] == ["failed", "passed", "failed", "passed", "error"]
    wrong, right = results[0], results[1]
    assert right.completion.rstrip() == REPLY.rstrip()
    assert right.exact_match and right.edit_similarity == 1.0
    assert not wrong.exact_match and 0 < wrong.edit_similarity < 1
    assert wrong.detail == "AssertionError" and right.ttft is not None
    assert results[4].detail.startswith("HTTP 404")
    assert (progress.done, progress.passed) == (5, 2)
    assert stream.getvalue().splitlines()[-1].startswith("eval [" + "#" * 24 + "] 5/5 passed 2")


def eval_command(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "codefill", "eval", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_a_missing_data_file_is_a_harness_failure(tmp_path: Path) -> None:
    done = eval_command(str(tmp_path / "nope.jsonl"))
    assert done.returncode == 1
    assert done.stderr.strip() == f"codefill eval: {tmp_path / 'nope.jsonl'}: no such data file"


def test_a_server_that_will_not_start_is_a_harness_failure(tmp_path: Path) -> None:
    config = tmp_path / "codefill.toml"
    config.write_text("threads = 'many'\n")
    done = eval_command("--config", str(config), "--limit", "2")
    assert done.returncode == 1
    assert "codefill eval: the server exited while starting; its log ends:" in done.stderr
    assert "threads" in done.stderr  # the server's own message names the bad key


def test_an_unreachable_server_is_a_harness_failure() -> None:
    done = eval_command("--server", f"http://127.0.0.1:{free_port()}", "--limit", "2")
    assert done.returncode == 1 and "codefill eval: cannot reach the server" in done.stderr


def test_usage_errors_exit_2() -> None:
    done = eval_command("--postprocess", "sometimes")
    assert done.returncode == 2 and "invalid choice" in done.stderr
    assert eval_command("--server", "http://x", "--config", "c.toml").returncode == 2
    assert eval_command("--limit", "0").returncode == 2


def test_evaluate_with_records_searches_each_raw_completions_cuts(
    fake_app: Callable[..., Any],
) -> None:
    from codefill.eval.oracle_run import OracleRecord

    records: dict[str, OracleRecord] = {}
    attempts = [Attempt("default", False, RIGHT), Attempt("default", False, WRONG)]
    with TestClient(fake_app(reply=REPLY + "\nprint(1)\nraise SystemExit(1)\n")) as client:
        results = evaluate(
            client, attempts, EvalConfig(num_predict=16), Progress(2, io.StringIO()), records
        )
    assert [r.status for r in results] == ["failed", "failed"]  # the raw text fails
    right, wrong = records["t/right"], records["t/wrong"]
    assert right.oracle_passed and right.raw[: right.shortest].rstrip() == REPLY.rstrip()
    assert not wrong.oracle_passed and wrong.verdict.outcome == "no cut"
