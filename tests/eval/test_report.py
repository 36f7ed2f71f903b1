"""Reports: the Markdown table and the JSON document with every task's result."""

from __future__ import annotations

import json

from codefill.eval.metrics import Summary, TaskResult, summarize
from codefill.eval.report import markdown_report, markdown_table, results_json

RESULTS = [
    TaskResult(
        "qwen|coder", True, "t/1", "    return x\n", "passed", True, 1.0, 0.12, 0.5, 5, "stop"
    ),
    TaskResult("qwen|coder", True, "t/2", "", "error", False, 0.0, None, None, detail="HTTP 500"),
    TaskResult("qwen|coder", False, "t/1", "x", "failed", False, 0.25, 0.1, 0.4, 3, "length"),
]


def test_markdown_table_has_a_row_per_model_and_setting() -> None:
    table = markdown_table(summarize(RESULTS))
    lines = table.splitlines()
    assert len(lines) == 4 and table.endswith("\n")
    assert lines[0].startswith("| model | postprocess | tasks | pass@1 | exact match |")
    assert all(line.count("|") == lines[0].count("|") for line in lines[:2])
    on, off = lines[2], lines[3]
    assert on.startswith("| qwen\\|coder | on | 2 | 0.500 (1/2) | 0.500 (1/2) | 0.500 |")
    assert "| 0.120s | 0.120s | 0.500s | 0.500s | 0 | 1 |" in on
    assert off.startswith("| qwen\\|coder | off | 1 | 0.000 (0/1) | 0.000 (0/1) | 0.250 |")


def test_markdown_table_shows_missing_times_as_dashes() -> None:
    summary = Summary("m", True, 1, 0, 0, 0.0, None, None, None, None, 0, 1)
    assert "| - | - | - | - | 0 | 1 |" in markdown_table([summary])


def test_markdown_report_says_what_was_run() -> None:
    report = markdown_report(summarize(RESULTS), {"tasks": 2, "seed": 7})
    assert report.startswith("# codefill eval\n\ntasks: 2, seed: 7\n\n| model |")


def test_json_has_the_run_the_summary_and_every_result() -> None:
    document = json.loads(results_json(summarize(RESULTS), RESULTS, {"tasks": 2}))
    assert document["run"] == {"tasks": 2}
    first = document["summary"][0]
    assert first["model"] == "qwen|coder" and first["postprocess"] is True
    assert first["pass_at_1"] == 0.5 and first["exact_match"] == 0.5 and first["tasks"] == 2
    assert first["ttft_p50"] == 0.12 and first["errors"] == 1
    assert len(document["results"]) == 3
    assert document["results"][0] == {
        "model": "qwen|coder",
        "postprocess": True,
        "task_id": "t/1",
        "completion": "    return x\n",
        "status": "passed",
        "passed": True,
        "exact_match": True,
        "edit_similarity": 1.0,
        "ttft": 0.12,
        "latency": 0.5,
        "output_tokens": 5,
        "done_reason": "stop",
        "detail": "",
        "setting": "",
    }
