"""The run's outputs: a Markdown table of the summaries, and JSON with every task's result."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from codefill.eval.metrics import Summary, TaskResult

__all__ = ["markdown_report", "markdown_table", "results_json", "write_text"]

_HEADER = (
    "| model | postprocess | tasks | pass@1 | exact match | edit sim. "
    "| TTFT p50 | TTFT p95 | latency p50 | latency p95 | timeouts | errors |"
)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}s"


def _row(summary: Summary, settings: bool) -> str:
    cells = [
        summary.model,
        "on" if summary.postprocess else "off",
        *([summary.setting] if settings else []),
        str(summary.tasks),
        f"{summary.pass_at_1:.3f} ({summary.passed}/{summary.tasks})",
        f"{summary.exact_match:.3f} ({summary.exact}/{summary.tasks})",
        f"{summary.edit_similarity:.3f}",
        _seconds(summary.ttft_p50),
        _seconds(summary.ttft_p95),
        _seconds(summary.latency_p50),
        _seconds(summary.latency_p95),
        str(summary.timeouts),
        str(summary.errors),
    ]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def markdown_table(summaries: Sequence[Summary]) -> str:
    """One row per model, post-processing setting and variant; the ``setting`` column only
    when the run compared variants."""
    settings = any(summary.setting for summary in summaries)
    header = _HEADER.replace("| tasks |", "| setting | tasks |") if settings else _HEADER
    separator = "|" + "---|" * header.count(" | ") + "---|"
    rows = [_row(summary, settings) for summary in summaries]
    return "\n".join([header, separator, *rows]) + "\n"


def markdown_report(summaries: Sequence[Summary], context: dict[str, Any]) -> str:
    """The table under a heading and one line saying what was run."""
    described = ", ".join(f"{key}: {value}" for key, value in context.items())
    return f"# codefill eval\n\n{described}\n\n{markdown_table(summaries)}"


def summary_json(summary: Summary) -> dict[str, Any]:
    body = dataclasses.asdict(summary)
    body["pass_at_1"] = summary.pass_at_1
    body["exact_match"] = summary.exact_match
    return body


def results_json(
    summaries: Sequence[Summary], results: Sequence[TaskResult], context: dict[str, Any]
) -> str:
    """``{"run": ..., "summary": [...], "results": [...]}``, one object per task result."""
    document = {
        "run": context,
        "summary": [summary_json(summary) for summary in summaries],
        "results": [{**dataclasses.asdict(r), "passed": r.passed} for r in results],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_text(path: Path, text: str) -> None:
    """Write a report, creating its folder; the caller turns an OSError into a harness error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
