"""``codefill eval --typing`` through the command line, on the real server and coder model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SETTINGS = ["line start", "mid-word, healing off", "mid-word, healing on"]
# Measured with this subset (10 derived tasks, seed 0, 48 tokens): 7/10 at line start, 6/10
# mid-word without healing, 8/10 with it. The floors are about half of that, so a real
# regression fails while model and batching noise does not.
FLOORS = {"line start": 3, "mid-word, healing off": 2, "mid-word, healing on": 4}


@pytest.mark.slow
@pytest.mark.timeout(2400)  # 30 requests; a busy two-core machine needs the room
def test_typing_benchmark_scores_three_ways(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    command = [sys.executable, "-m", "codefill", "eval", "--model", "qwen2.5-coder"]
    command += ["--typing", "--postprocess", "on", "--limit", "10", "--seed", "0"]
    command += ["--num-predict", "48", "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=2300)
    assert done.returncode == 0, done.stderr

    rows = [line for line in done.stdout.splitlines() if line.startswith("| qwen2.5-coder |")]
    print("\n".join(rows))  # shown with pytest -s, and in the report when the test fails
    assert [row.split(" | ")[2] for row in rows] == SETTINGS
    assert "task(s) left out" in done.stderr

    document = json.loads(out.read_text())
    summaries = {summary["setting"]: summary for summary in document["summary"]}
    assert list(summaries) == SETTINGS
    for setting, summary in summaries.items():
        assert summary["tasks"] == document["run"]["tasks"] and summary["errors"] == 0
        assert summary["passed"] >= FLOORS[setting], summary
    healed, unhealed = summaries["mid-word, healing on"], summaries["mid-word, healing off"]
    assert healed["passed"] >= unhealed["passed"]  # healing never makes typing worse here
    # the mid-word tasks are the line-start ones with part of a word typed
    results = document["results"]
    for start in (r for r in results if r["setting"] == "line start"):
        assert sum(r["task_id"] == start["task_id"] for r in results) == 3
