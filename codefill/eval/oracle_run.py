"""``codefill eval --oracle``: per task, the raw completion, post-processing's cut and the best cut.

The run asks for every completion with post-processing off, so one greedy generation
serves three scores: the raw text, the server's post-processing replayed on it (the rules
are pure functions of the text and the code around the cursor, so replaying them offline
gives what the server would have sent), and the oracle's best cut.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from codefill.errors import CodefillError
from codefill.eval.batch import run_batch
from codefill.eval.execute import Outcome
from codefill.eval.oracle import CutSearch, OracleVerdict, judge, postprocessed, search_cuts
from codefill.eval.tasks import Task
from codefill.postprocess import PostprocessOptions
from codefill.service.registry import ModelRegistry
from codefill.settings import Settings

__all__ = [
    "CUT_TIMEOUT",
    "OracleRecord",
    "cut_timeout",
    "oracle_record",
    "oracle_summary",
    "rescore",
]

CUT_TIMEOUT = 3.0  # seconds per cut; a cut that loops (a lost ``i += 1``) fails fast


def cut_timeout(timeout: float) -> float:
    return min(timeout, CUT_TIMEOUT)


@dataclass
class OracleRecord:
    """One task under the oracle; ``verdicts`` holds every cut length tried (see
    :class:`~codefill.eval.oracle.CutSearch`), which lets a replay score new rules
    without running those cuts again."""

    task_id: str
    raw: str
    raw_passed: bool
    text: str  # post-processing's text
    passed: bool  # whether that text passes
    verdict: OracleVerdict
    shortest: int | None
    longest: int | None
    verdicts: dict[int, str] = field(default_factory=dict)
    executed: int = 0
    ended: bool = False  # the model ended the raw text itself (done_reason "stop")

    @property
    def oracle_passed(self) -> bool:
        return self.shortest is not None

    def search(self) -> CutSearch:
        return CutSearch(self.raw, self.shortest, self.longest, dict(self.verdicts))

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "raw": self.raw,
            "raw_passed": self.raw_passed,
            "postprocessed": self.text,
            "passed": self.passed,
            "outcome": self.verdict.outcome,
            "rule": self.verdict.rule,
            "kept": self.verdict.kept,
            "distance_chars": self.verdict.distance_chars,
            "distance_lines": self.verdict.distance_lines,
            "shortest": self.shortest,
            "longest": self.longest,
            "executed": self.executed,
            "ended": self.ended,
            "verdicts": {str(k): v for k, v in sorted(self.verdicts.items())},
        }

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> OracleRecord:
        verdict = OracleVerdict(
            body["outcome"],
            body["rule"],
            body["kept"],
            body["distance_chars"],
            body["distance_lines"],
        )
        return cls(
            task_id=body["task_id"],
            raw=body["raw"],
            raw_passed=body["raw_passed"],
            text=body["postprocessed"],
            passed=body["passed"],
            verdict=verdict,
            shortest=body["shortest"],
            longest=body["longest"],
            verdicts={int(k): str(v) for k, v in body["verdicts"].items()},
            executed=body.get("executed", 0),
            ended=body.get("ended", False),
        )


@functools.cache  # one registry per model name, not one per task
def model_options(model: str) -> PostprocessOptions:
    """The post-processing options a server with no configuration file uses for ``model``
    (its ``model_end_lines``), so that a replay scores what the server would answer."""
    try:
        config = ModelRegistry(Settings()).resolve(model)
    except CodefillError:
        return PostprocessOptions()
    return PostprocessOptions(model_end=config.model_end_lines)


def oracle_record(
    task: Task,
    raw: str,
    raw_outcome: Outcome,
    timeout: float,
    ended: bool = False,
    options: PostprocessOptions | None = None,
) -> OracleRecord:
    """Search the cuts of ``raw`` and judge post-processing's text against them."""
    search = search_cuts(task, raw, cut_timeout(timeout))
    search.verdicts.setdefault(len(raw), "passed" if raw_outcome.passed else "failed")
    text, rule = postprocessed(task, raw, options, ended)
    passed = search.known(text)
    if passed is None:
        passed = run_batch([task.program(text)], cut_timeout(timeout))[0].passed
        search.executed += 1
    return OracleRecord(
        task_id=task.task_id,
        raw=raw,
        raw_passed=raw_outcome.passed,
        text=text,
        passed=passed,
        verdict=judge(search, text, passed, rule),
        shortest=search.shortest,
        longest=search.longest,
        verdicts=search.verdicts,
        executed=search.executed,
        ended=ended,
    )


def rescore(
    records: Sequence[OracleRecord],
    tasks: dict[str, Task],
    options: PostprocessOptions,
    timeout: float,
    batch: int = 64,
) -> list[OracleRecord]:
    """The records again with the current rules (and ``options``) applied to each raw text.

    Texts that are cuts the search already ran are scored from its verdicts; the rest run
    in sandboxed batches.
    """
    texts: list[tuple[str, str]] = []
    known: dict[int, bool] = {}
    unknown: list[int] = []
    for index, record in enumerate(records):
        text, rule = postprocessed(tasks[record.task_id], record.raw, options, record.ended)
        texts.append((text, rule))
        found = record.search().known(text)
        if found is None:
            unknown.append(index)
        else:
            known[index] = found
    for start in range(0, len(unknown), batch):
        chunk = unknown[start : start + batch]
        programs = [tasks[records[i].task_id].program(texts[i][0]) for i in chunk]
        for i, outcome in zip(chunk, run_batch(programs, cut_timeout(timeout)), strict=False):
            known[i] = outcome.passed
    fresh = []
    for index, record in enumerate(records):
        text, rule = texts[index]
        passed = known.get(index, False)
        fresh.append(
            OracleRecord(
                task_id=record.task_id,
                raw=record.raw,
                raw_passed=record.raw_passed,
                text=text,
                passed=passed,
                verdict=judge(record.search(), text, passed, rule),
                shortest=record.shortest,
                longest=record.longest,
                verdicts=record.verdicts,
                executed=record.executed,
            )
        )
    return fresh


def oracle_summary(records: Sequence[OracleRecord]) -> dict[str, Any]:
    """Counts for the summary table: pass counts, the ratio, outcomes and rules of failures."""
    tasks = len(records)
    oracle = sum(r.oracle_passed for r in records)
    passed = sum(r.passed for r in records)
    missed = [r for r in records if not r.passed and r.oracle_passed]
    return {
        "tasks": tasks,
        "raw_passed": sum(r.raw_passed for r in records),
        "postprocessed_passed": passed,
        "oracle_passed": oracle,
        "ratio": passed / oracle if oracle else 0.0,
        "outcomes": dict(Counter(r.verdict.outcome for r in records)),
        "missed_by_rule": dict(
            Counter(f"{r.verdict.outcome}: {r.verdict.rule or 'none'}" for r in missed)
        ),
        "executed": sum(r.executed for r in records),
    }
