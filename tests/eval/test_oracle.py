"""The oracle: cut points, the search for passing cuts, batches, judging and the replay."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from codefill.eval.batch import run_batch
from codefill.eval.execute import Outcome
from codefill.eval.oracle import CutSearch, cut_points, judge, postprocessed, search_cuts
from codefill.eval.oracle_command import replay_oracle
from codefill.eval.oracle_report import oracle_markdown
from codefill.eval.oracle_run import OracleRecord, oracle_record, oracle_summary
from codefill.eval.tasks import Task

TEST = "def check(candidate):\n    assert candidate(3) == 6\n"
DOUBLE = Task("t/double", "double", "def double(x):\n", "\n", "    return 2 * x", TEST)
RAW = "    return 2 * x\n\nprint(double(2))\nraise SystemExit(1)\n"


def write_tasks(tmp_path: Path, task: Task) -> Path:
    """``task`` as a one-line data file in HumanEval-Infilling's format."""
    data = tmp_path / "tasks.jsonl"
    row = {
        "task_id": task.task_id,
        "entry_point": task.entry_point,
        "prompt": task.prefix,
        "suffix": task.suffix,
        "canonical_solution": task.middle,
        "test": task.test,
    }
    data.write_text(json.dumps(row) + "\n")
    return data


def test_cut_points_cover_the_first_two_lines_and_every_line_boundary() -> None:
    raw = "ab\ncd\nefg\nhi"
    points = cut_points(raw)
    assert points == [0, 1, 2, 3, 4, 5, 6, 9, 10, 12]
    assert cut_points("") == [0]


def test_the_search_finds_the_shortest_and_longest_passing_cut() -> None:
    search = search_cuts(DOUBLE, RAW, 5.0)
    assert search.raw[: search.shortest] == "    return 2 * x"
    assert search.raw[: search.longest] == "    return 2 * x\n\nprint(double(2))\n"
    assert search.verdicts[0] == "syntax" and search.verdicts[12] == "failed"
    assert search.known("    return 2 * x") is True
    assert search.known("something else") is None


def test_the_search_runs_each_distinct_program_once_and_stops_at_passes() -> None:
    calls: list[tuple[int, bool]] = []

    def runner(programs: Sequence[str], first_pass: bool) -> list[bool]:
        calls.append((len(programs), first_pass))
        results = []
        for program in programs:
            results.append("return 2 * x" in program and "raise" not in program)
            if first_pass and results[-1]:
                break
        return results

    search = search_cuts(DOUBLE, RAW, 5.0, runner)
    assert search.shortest is not None and search.longest is not None
    assert all(first for _, first in calls) and len(calls) == 2
    compiled = [v for v in search.verdicts.values() if v != "syntax"]
    # Cuts that differ only by trailing spaces compile alike and ran once between them.
    assert search.executed <= len(compiled)


def test_no_passing_cut() -> None:
    search = search_cuts(DOUBLE, "    return x\n", 5.0)
    assert search.shortest is None and search.longest is None


def test_judge_says_how_post_processing_missed() -> None:
    search = CutSearch("abcdef\nghi\n", shortest=6, longest=7)
    assert judge(search, "abc", False, "scope").outcome == "too early"
    late = judge(search, "abcdef\ngh", False, "")
    assert (late.outcome, late.distance_chars, late.distance_lines) == ("too late", 2, 0)
    assert judge(search, "abcdef", True, "scope").outcome == "passed"
    assert judge(CutSearch("x"), "x", False, "").outcome == "no cut"


def test_postprocessed_replays_the_server_rules() -> None:
    text, rule = postprocessed(DOUBLE, RAW)
    assert text == "    return 2 * x" and rule in ("scope", "language_stop")


def test_batches_run_in_order_and_stop_at_the_first_pass() -> None:
    programs = ["assert False, 'no'\n", "while True:\n    pass\n", "pass\n", "pass\n"]
    outcomes = run_batch(programs, 1.0)
    assert [o.status for o in outcomes] == ["failed", "timeout", "passed", "passed"]
    assert outcomes[0].detail == "AssertionError: no"
    assert [o.status for o in run_batch(programs, 1.0, first_pass=True)][-1] == "passed"
    assert len(run_batch(programs, 1.0, first_pass=True)) == 3
    assert run_batch([], 1.0) == []


def test_a_record_round_trips_and_replays(tmp_path: Path) -> None:
    record = oracle_record(DOUBLE, RAW, Outcome("failed"), 5.0)
    assert record.passed and record.oracle_passed and not record.raw_passed
    assert OracleRecord.from_json(json.loads(json.dumps(record.to_json()))) == record
    summary = oracle_summary([record])
    assert summary["postprocessed_passed"] == summary["oracle_passed"] == 1
    assert "| t/double | fail | pass |" in oracle_markdown([("current", [record])], {"a": 1})

    data = write_tasks(tmp_path, DOUBLE)
    saved = tmp_path / "oracle.json"
    saved.write_text(json.dumps({"run": {"data": str(data)}, "oracle": [record.to_json()]}))
    markdown, out = tmp_path / "replay.md", tmp_path / "replay.json"
    assert replay_oracle(saved, None, 5.0, markdown, out) == 0
    table = markdown.read_text()
    assert "| current | 1 |" in table and "| before (new rules off) | 1 |" in table
    assert json.loads(out.read_text())["oracle_summary"]["postprocessed_passed"] == 1


def test_a_plain_runs_results_replay_after_a_cut_search(tmp_path: Path) -> None:
    data = write_tasks(tmp_path, DOUBLE)
    result = {"task_id": DOUBLE.task_id, "completion": RAW, "status": "failed"}
    results = [{**result, "postprocess": False}, {**result, "postprocess": True}]
    saved = tmp_path / "run.json"
    saved.write_text(json.dumps({"run": {"data": str(data)}, "results": results}))
    out = tmp_path / "oracle.json"
    assert replay_oracle(saved, None, 5.0, None, out) == 0
    document = json.loads(out.read_text())
    assert len(document["oracle"]) == 1  # the post-processing-off result only
    assert document["oracle"][0]["shortest"] == len("    return 2 * x")
    # The saved records replay without searching again.
    assert replay_oracle(out, data, 5.0) == 0


ODD_TEST = "def check(candidate):\n    assert candidate([3, 2, 1]) == [1, 3]\n"
ODD = Task(
    "t/odd",
    "odd",
    "def odd(x):\n    out = []\n    for i in x:\n        if i % 2:\n            out.appe",
    "urn sorted(out)\n",
    "nd(i)\n    ret",
    ODD_TEST,
)


def test_the_replay_trusts_the_end_of_a_model_that_ends_its_middles(tmp_path: Path) -> None:
    """The 1.5B coder is served with ``model_end_lines = 1``: its raw middle, which ends one
    line below the cursor's (task 104/8 of the random-span set), passes once the model
    ended it itself, and the single-line rule's cut does not."""
    data = write_tasks(tmp_path, ODD)
    assert postprocessed(ODD, ODD.middle) == ("nd(i)", "single_line")
    result = {"task_id": ODD.task_id, "completion": ODD.middle, "status": "passed"}
    for model, ended, current in (("qwen2.5-coder-1.5b", "stop", 1), ("default", "stop", 0)):
        raw = {**result, "postprocess": False, "model": model, "done_reason": ended}
        saved = tmp_path / f"{model}.json"
        saved.write_text(json.dumps({"run": {"data": str(data)}, "results": [raw]}))
        markdown = tmp_path / f"{model}.md"
        assert replay_oracle(saved, None, 5.0, markdown) == 0
        table = markdown.read_text()
        assert f"| current | 1 | 1.000 (1/1) | {current:.3f} ({current}/1) |" in table
        assert ("| without model_end | 1 | 1.000 (1/1) | 0.000 (0/1) |" in table) == bool(current)
