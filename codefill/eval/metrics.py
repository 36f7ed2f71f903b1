"""Scores: per-task results, edit similarity, exact match, percentiles, per-setting summaries."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "Summary",
    "TaskResult",
    "edit_similarity",
    "exact_match",
    "levenshtein",
    "percentile",
    "summarize",
]


@dataclass(frozen=True)
class TaskResult:
    """One task under one model, post-processing setting and variant (``setting``: how the
    task was asked, e.g. ``mid-word, healing on``; "" for the plain run).

    ``status`` is passed, failed, timeout (the tests ran too long) or error (the request
    failed, so nothing was executed); ``detail`` says why it did not pass.
    """

    model: str
    postprocess: bool
    task_id: str
    completion: str
    status: str
    exact_match: bool
    edit_similarity: float
    ttft: float | None
    latency: float | None
    output_tokens: int | None = None
    done_reason: str | None = None
    detail: str = ""
    setting: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def levenshtein(a: str, b: str) -> int:
    """Insertions, deletions and substitutions turning ``a`` into ``b`` (two-row dynamic
    programming over the shorter string)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost))
        previous = current
    return previous[-1]


def exact_match(completion: str, middle: str) -> bool:
    """Equal after trailing whitespace is stripped from both (the canonical middle of a
    single-line task ends with its newline; a completion need not)."""
    return completion.rstrip() == middle.rstrip()


def edit_similarity(completion: str, middle: str) -> float:
    """``1 - levenshtein / longer length`` on the same stripped texts; 1.0 when both are empty."""
    a, b = completion.rstrip(), middle.rstrip()
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1.0 - levenshtein(a, b) / longest


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) with linear interpolation between order statistics,
    as numpy's default; ``None`` for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    """The scores of one model under one post-processing setting and variant; times in
    seconds."""

    model: str
    postprocess: bool
    tasks: int
    passed: int
    exact: int
    edit_similarity: float
    ttft_p50: float | None
    ttft_p95: float | None
    latency_p50: float | None
    latency_p95: float | None
    timeouts: int
    errors: int
    setting: str = ""

    @property
    def pass_at_1(self) -> float:
        return self.passed / self.tasks if self.tasks else 0.0

    @property
    def exact_match(self) -> float:
        return self.exact / self.tasks if self.tasks else 0.0


def _summary(model: str, postprocess: bool, setting: str, results: Sequence[TaskResult]) -> Summary:
    ttfts = [r.ttft for r in results if r.ttft is not None]
    latencies = [r.latency for r in results if r.latency is not None]
    count = len(results)
    return Summary(
        model=model,
        postprocess=postprocess,
        tasks=count,
        passed=sum(r.passed for r in results),
        exact=sum(r.exact_match for r in results),
        edit_similarity=sum(r.edit_similarity for r in results) / count if count else 0.0,
        ttft_p50=percentile(ttfts, 50),
        ttft_p95=percentile(ttfts, 95),
        latency_p50=percentile(latencies, 50),
        latency_p95=percentile(latencies, 95),
        timeouts=sum(r.status == "timeout" for r in results),
        errors=sum(r.status == "error" for r in results),
        setting=setting,
    )


def summarize(results: Iterable[TaskResult]) -> list[Summary]:
    """One summary per (model, post-processing, variant), in the order they first appear."""
    groups: dict[tuple[str, bool, str], list[TaskResult]] = {}
    for result in results:
        groups.setdefault((result.model, result.postprocess, result.setting), []).append(result)
    return [_summary(*key, group) for key, group in groups.items()]
