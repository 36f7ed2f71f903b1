"""The oracle's outputs: a summary line, and the per-task table (Markdown and JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from codefill.eval.oracle_run import OracleRecord, oracle_summary

__all__ = ["oracle_json", "oracle_markdown", "oracle_summary_table", "oracle_task_table"]

_SUMMARY = (
    "| rules | tasks | raw pass@1 | post-processed pass@1 | oracle pass@1 | post / oracle "
    "| too early | too late | between | no cut |"
)
_TASKS = (
    "| task | raw | post-processed | rule | oracle | shortest | longest | kept "
    "| outcome | distance (chars / lines) |"
)


def _rate(count: int, tasks: int) -> str:
    return f"{count / tasks if tasks else 0.0:.3f} ({count}/{tasks})"


def summary_row(label: str, records: Sequence[OracleRecord]) -> str:
    counts = oracle_summary(records)
    tasks, outcomes = counts["tasks"], counts["outcomes"]
    cells = [
        label,
        str(tasks),
        _rate(counts["raw_passed"], tasks),
        _rate(counts["postprocessed_passed"], tasks),
        _rate(counts["oracle_passed"], tasks),
        f"{counts['ratio']:.2f}x",
        *(str(outcomes.get(name, 0)) for name in ("too early", "too late", "between", "no cut")),
    ]
    return "| " + " | ".join(cells) + " |"


def oracle_summary_table(rows: Sequence[tuple[str, Sequence[OracleRecord]]]) -> str:
    """One row per rule set (the current rules, or one rule switched off)."""
    separator = "|" + "---|" * (_SUMMARY.count(" | ") + 1)
    return "\n".join([_SUMMARY, separator, *(summary_row(*row) for row in rows)]) + "\n"


def _mark(flag: bool) -> str:
    return "pass" if flag else "fail"


def oracle_task_table(records: Sequence[OracleRecord]) -> str:
    """Every task: raw, post-processed and oracle results, and what went wrong."""
    lines = [_TASKS, "|" + "---|" * (_TASKS.count(" | ") + 1)]
    for r in records:
        v = r.verdict
        distance = f"{v.distance_chars} / {v.distance_lines}" if v.distance_chars else ""
        cells = [
            r.task_id,
            _mark(r.raw_passed),
            _mark(r.passed),
            v.rule or "-",
            _mark(r.oracle_passed),
            "-" if r.shortest is None else str(r.shortest),
            "-" if r.longest is None else str(r.longest),
            str(v.kept),
            v.outcome,
            distance,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _missed(records: Sequence[OracleRecord]) -> str:
    counts = oracle_summary(records)["missed_by_rule"]
    if not counts:
        return "Post-processing passes every task that has a passing cut.\n"
    lines = ["| missed: outcome and rule | tasks |", "|---|---|"]
    lines += [f"| {key} | {count} |" for key, count in sorted(counts.items())]
    return "\n".join(lines) + "\n"


def oracle_markdown(
    rows: Sequence[tuple[str, Sequence[OracleRecord]]], context: dict[str, Any]
) -> str:
    """The report: what was run, the summary (rows: rule sets), the misses of the first
    row's rules by outcome and rule, and its per-task table."""
    described = ", ".join(f"{key}: {value}" for key, value in context.items())
    records = rows[0][1]
    return (
        f"# codefill eval --oracle\n\n{described}\n\n{oracle_summary_table(rows)}\n"
        f"{_missed(records)}\n{oracle_task_table(records)}"
    )


def oracle_json(records: Sequence[OracleRecord], context: dict[str, Any]) -> str:
    document = {
        "run": context,
        "summary": oracle_summary(records),
        "oracle": [record.to_json() for record in records],
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"
