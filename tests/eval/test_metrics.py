"""Scoring: edit distance and similarity, exact match, percentiles and per-setting summaries."""

from __future__ import annotations

import pytest

from codefill.eval.metrics import (
    TaskResult,
    edit_similarity,
    exact_match,
    levenshtein,
    percentile,
    summarize,
)


def test_levenshtein_counts_single_character_edits() -> None:
    assert levenshtein("", "") == 0
    assert levenshtein("abc", "") == levenshtein("", "abc") == 3
    assert levenshtein("kitten", "sitting") == levenshtein("sitting", "kitten") == 3
    assert levenshtein("flaw", "lawn") == 2


def test_edit_similarity_is_normalized_and_ignores_trailing_whitespace() -> None:
    assert edit_similarity("    return x\n", "    return x") == 1.0
    assert edit_similarity("", "") == 1.0
    assert edit_similarity("", "abcd") == 0.0
    assert edit_similarity("kitten", "sitting") == pytest.approx(1 - 3 / 7)


def test_exact_match_strips_trailing_whitespace_only() -> None:
    assert exact_match("    return x", "    return x\n")
    assert exact_match("a  \n\n", "a\t")
    assert not exact_match("return x", "    return x\n")  # leading indentation is code
    assert not exact_match("    return x\n    pass", "    return x\n")


def test_percentile_interpolates_like_numpy() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert percentile(values, 50) == 2.5
    assert percentile(values, 95) == pytest.approx(3.85)
    assert percentile(values, 0) == 1.0 and percentile(values, 100) == 4.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


def result(model: str, post: bool, status: str, ttft: float | None = 0.1) -> TaskResult:
    return TaskResult(
        model=model,
        postprocess=post,
        task_id="t",
        completion="x",
        status=status,
        exact_match=status == "passed",
        edit_similarity=1.0 if status == "passed" else 0.5,
        ttft=ttft,
        latency=None if ttft is None else ttft * 10,
    )


def test_summarize_groups_by_model_and_setting() -> None:
    results = [
        result("a", True, "passed"),
        result("a", True, "failed", ttft=0.3),
        result("a", False, "timeout"),
        result("b", True, "error", ttft=None),
        result("a", True, "passed", ttft=0.2),
    ]
    first, second, third = summarize(results)
    assert (first.model, first.postprocess, first.tasks, first.passed) == ("a", True, 3, 2)
    assert first.pass_at_1 == pytest.approx(2 / 3) and first.exact_match == pytest.approx(2 / 3)
    assert first.edit_similarity == pytest.approx(2.5 / 3)
    assert first.ttft_p50 == pytest.approx(0.2) and first.latency_p50 == pytest.approx(2.0)
    assert (second.postprocess, second.timeouts, second.passed) == (False, 1, 0)
    assert (third.model, third.errors, third.ttft_p50, third.latency_p95) == ("b", 1, None, None)
