"""``codefill eval`` through the command line, on the real server and the real coder model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Measured with this subset (30 tasks, seed 0, 48 tokens): 15/30 to 19/30 pass with
# post-processing and 3/30 without (the raw model rarely stops after one line). The floors
# are half of the lower figures, rounded down, so a real regression fails while model and
# batching noise does not.
FLOORS = {"on": 7, "off": 1}


@pytest.mark.slow
def test_eval_scores_the_coder_model_on_a_fixed_subset(tmp_path: Path) -> None:
    out, markdown = tmp_path / "results.json", tmp_path / "results.md"
    command = [sys.executable, "-m", "codefill", "eval", "--model", "qwen2.5-coder"]
    command += ["--limit", "30", "--seed", "0", "--num-predict", "48"]
    command += ["--out", str(out), "--markdown", str(markdown)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr

    rows = [line for line in done.stdout.splitlines() if line.startswith("| qwen2.5-coder |")]
    print("\n".join(rows))  # shown with pytest -s, and in the report when the test fails
    assert [row.split(" | ")[1] for row in rows] == ["on", "off"]
    assert "eval [" in done.stderr and "sandbox:" in done.stderr

    document = json.loads(out.read_text())
    assert document["run"]["tasks"] == 30 and len(document["results"]) == 60
    assert markdown.read_text().count("| qwen2.5-coder |") == 2
    for summary in document["summary"]:
        setting = "on" if summary["postprocess"] else "off"
        assert summary["tasks"] == 30 and summary["errors"] == 0
        assert summary["passed"] >= FLOORS[setting], summary
        assert (
            f"{summary['pass_at_1']:.3f} ({summary['passed']}/30)"
            in rows[["on", "off"].index(setting)]
        )
        assert 0 < summary["ttft_p50"] <= summary["latency_p95"]
