"""The cross-file run's report: one row per way, with ratios to the way without context."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from codefill.eval.metrics import percentile
from codefill.eval.replay import WAYS, CrossFileResult

__all__ = ["WaySummary", "crossfile_json", "crossfile_table", "summarize_ways"]

_HEADER = (
    "| way | tasks | exact match | vs none | edit sim. | name right | vs none "
    "| TTFT p50 | TTFT p95 | p50 vs none | cached tokens (mean) | prompt tokens (mean) "
    "| errors |"
)


@dataclass(frozen=True)
class WaySummary:
    way: str
    tasks: int
    exact: int
    edit_similarity: float
    names: int
    ttft_p50: float | None
    ttft_p95: float | None
    cached_tokens: float | None
    prompt_tokens: float | None
    errors: int


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _summary(way: str, results: Sequence[CrossFileResult]) -> WaySummary:
    ttfts = [r.ttft for r in results if r.ttft is not None]
    return WaySummary(
        way=way,
        tasks=len(results),
        exact=sum(r.exact_match for r in results),
        edit_similarity=_mean([r.edit_similarity for r in results]) or 0.0,
        names=sum(r.name_right for r in results),
        ttft_p50=percentile(ttfts, 50),
        ttft_p95=percentile(ttfts, 95),
        cached_tokens=_mean([r.cached_tokens for r in results if r.cached_tokens is not None]),
        prompt_tokens=_mean([r.prompt_tokens for r in results if r.prompt_tokens is not None]),
        errors=sum(r.error is not None for r in results),
    )


def summarize_ways(results: Sequence[CrossFileResult]) -> list[WaySummary]:
    return [_summary(way, [r for r in results if r.way == way]) for way in WAYS]


def _ratio(value: float | None, base: float | None) -> str:
    return "-" if value is None or not base else f"{value / base:.2f}x"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}s"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _row(summary: WaySummary, base: WaySummary) -> str:
    count = summary.tasks or 1
    cells = [
        summary.way,
        str(summary.tasks),
        f"{summary.exact / count:.3f} ({summary.exact}/{summary.tasks})",
        _ratio(summary.exact, base.exact),
        f"{summary.edit_similarity:.3f}",
        f"{summary.names / count:.3f} ({summary.names}/{summary.tasks})",
        _ratio(summary.names, base.names),
        _seconds(summary.ttft_p50),
        _seconds(summary.ttft_p95),
        _ratio(summary.ttft_p50, base.ttft_p50),
        _number(summary.cached_tokens),
        _number(summary.prompt_tokens),
        str(summary.errors),
    ]
    return "| " + " | ".join(cells) + " |"


def crossfile_table(results: Sequence[CrossFileResult], context: dict[str, Any]) -> str:
    summaries = summarize_ways(results)
    separator = "|" + "---|" * (_HEADER.count(" | ") + 1)
    described = ", ".join(f"{key}: {value}" for key, value in context.items())
    rows = [_row(summary, summaries[0]) for summary in summaries]
    return "\n".join([f"cross-file: {described}", "", _HEADER, separator, *rows]) + "\n"


def crossfile_json(results: Sequence[CrossFileResult], context: dict[str, Any]) -> str:
    document = {
        "run": context,
        "summary": [dataclasses.asdict(s) for s in summarize_ways(results)],
        "results": [dataclasses.asdict(r) for r in results],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
