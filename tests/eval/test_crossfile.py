"""The cross-file benchmark's parts: tasks from a package's sources, the replay, the report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from codefill.eval.crossfile_report import crossfile_table, summarize_ways
from codefill.eval.crossfile_tasks import CrossFileTask, package_tasks
from codefill.eval.replay import WAYS, replay

FILLER = "".join(f"value_{n} = {n}\n" for n in range(30))
HELPERS = (
    "import re\n\n\n"
    "def normalize_title(text):\n"
    "    '''Lower-case words joined by dashes.'''\n"
    "    return re.sub(r'\\W+', '-', text).lower()\n\n\n" + FILLER
)
SHOW = "def show(raw):\n    title = normalize_title(raw)\n    return title\n\n\n"
OTHER = "def other(raw):\n    return helpers.normalize_title(raw)\n"
IMPORTS = "from .helpers import normalize_title\nfrom . import helpers\n\n\n"
VIEWS = IMPORTS + FILLER + SHOW + FILLER + OTHER


@pytest.fixture
def package(tmp_path: Path) -> Path:
    folder = tmp_path / "mypkg"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "helpers.py").write_text(HELPERS)
    (folder / "views.py").write_text(VIEWS)
    for name in ("alpha", "beta", "gamma"):
        (folder / f"{name}.py").write_text(f"def {name}():\n    pass\n\n\n" + FILLER)
    return tmp_path


def tasks_of(root: Path) -> dict[str, CrossFileTask]:
    return {task.task_id: task for task in package_tasks(root, "mypkg", seed=0)}


def test_tasks_are_lines_using_a_name_from_another_module(package: Path) -> None:
    tasks = tasks_of(package)
    assert set(tasks) == {"mypkg/views.py:36", "mypkg/views.py:71"}
    direct, through_module = tasks["mypkg/views.py:36"], tasks["mypkg/views.py:71"]
    assert direct.prefix.endswith("def show(raw):\n    title =")  # no space at the end
    assert direct.middle == "normalize_title(raw)"
    assert through_module.prefix.endswith("    return helpers.")
    assert through_module.middle == "normalize_title(raw)"
    for task in tasks.values():
        assert task.name == "normalize_title" and task.defined_in == "mypkg/helpers.py"
        assert "normalize_title" not in task.prefix + task.suffix  # only the other file knows
        assert task.warmup.prefix == task.prefix[:-1] and task.warmup.suffix == task.suffix


def test_each_task_visits_the_defining_module_and_two_unrelated_ones(package: Path) -> None:
    for task in tasks_of(package).values():
        paths = [visit.path for visit in task.visits]
        assert paths.count("mypkg/helpers.py") == 1 and len(set(paths)) == 3
        defining = next(v for v in task.visits if v.path == "mypkg/helpers.py")
        assert "def normalize_title(text):" in defining.prefix + defining.suffix
        assert "def normalize_title(text):" in defining.chunk
        for visit in task.visits:
            assert visit.path != task.path and visit.chunk in visit.prefix + visit.suffix


def test_a_name_visible_in_the_window_makes_no_task(package: Path) -> None:
    views = package / "mypkg" / "views.py"
    views.write_text(VIEWS.replace("def show(raw):\n", "def show(raw):  # normalize_title\n"))
    assert "mypkg/views.py:36" not in tasks_of(package)


def test_the_replay_sends_each_way_and_scores_the_line(
    package: Path, fake_app: Callable[..., Any]
) -> None:
    task = tasks_of(package)["mypkg/views.py:36"]
    app = fake_app(reply="normalize_title(raw)\n    return")
    with TestClient(app) as client:
        results = [replay(client, "default", task, way, f"s-{way}", 16) for way in WAYS]
        jobs = app.state.manager.loaded()[0].engine.jobs
    assert len(jobs) == 2 + 5 + 5  # none: the line before and the line; others: 3 visits too
    none, memory, extra = jobs[:2], jobs[2:7], jobs[7:]
    definition = "def normalize_title(text):"
    assert all(definition not in job.text for job in none)
    assert definition in memory[-1].text and definition in extra[-1].text
    assert all(job.sampling.stop[:1] == ("\n",) for job in (none[-1], memory[-1], extra[-1]))
    for result in results:
        assert result.error is None and result.completion == "normalize_title(raw)"
        assert result.exact_match and result.name_right and result.edit_similarity == 1.0
    table = crossfile_table(results, {"tasks": 1})
    assert "| memory | 1 | 1.000 (1/1) | 1.00x |" in table
    assert [s.way for s in summarize_ways(results)] == list(WAYS)


def test_a_failed_request_is_an_error_result(package: Path, fake_app: Callable[..., Any]) -> None:
    task = tasks_of(package)["mypkg/views.py:36"]
    with TestClient(fake_app()) as client:
        result = replay(client, "no-such-model", task, "memory", "s", 16)
    assert result.error is not None and "404" in result.error and not result.exact_match
