"""``codefill eval --cross-file``: repository context measured on real packages from PyPI.

The packages are installed at pinned versions with pip (no dependencies, wheels only) into
a temporary folder for the run, and their sources become tasks (``crossfile_tasks.py``);
each task is replayed three ways (``replay.py``), its ways one after another, so the noise
of a shared machine falls on all three alike. The report gives, per way: exact match, edit
similarity, how often the cross-file name is right, the task request's TTFT and its cached
and prompt tokens, with ratios to the way without context.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from codefill.eval.client import REQUEST_TIMEOUT, load_model, wait_healthy
from codefill.eval.crossfile_report import crossfile_json, crossfile_table
from codefill.eval.crossfile_tasks import CrossFileTask, package_tasks
from codefill.eval.errors import HarnessError
from codefill.eval.progress import Progress
from codefill.eval.replay import WAYS, CrossFileResult, replay
from codefill.eval.report import write_text
from codefill.eval.server import serving
from codefill.eval.tasks import select

__all__ = ["PACKAGES", "CrossFileConfig", "install_packages", "run_crossfile"]

# (distribution, pinned version, import folder): small pure-Python packages of several
# modules that import from each other
PACKAGES = (
    ("click", "8.1.7", "click"),
    ("requests", "2.32.3", "requests"),
    ("Jinja2", "3.1.4", "jinja2"),
    ("attrs", "24.2.0", "attr"),
    ("packaging", "24.1", "packaging"),
    ("tomlkit", "0.13.2", "tomlkit"),
)


@dataclass(frozen=True)
class CrossFileConfig:
    server: str | None = None
    config: Path | None = None
    model: str = "qwen2.5-coder"
    packages: tuple[str, ...] = ()  # import folders to use; empty: all of PACKAGES
    num_predict: int = 48
    concurrency: int = 2
    limit: int | None = None
    seed: int = 0
    out: Path | None = None
    markdown: Path | None = None


@contextlib.contextmanager
def install_packages(names: Sequence[str]) -> Iterator[Path]:
    """Install the chosen packages into a temporary folder that lasts for the block."""
    chosen = [p for p in PACKAGES if not names or p[2] in names]
    unknown = set(names) - {p[2] for p in PACKAGES}
    if unknown:
        known = ", ".join(p[2] for p in PACKAGES)
        raise HarnessError(f"unknown package {', '.join(sorted(unknown))}; choose from {known}")
    with tempfile.TemporaryDirectory(prefix="codefill-crossfile-") as folder:
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
        command += ["--only-binary", ":all:", "--no-compile", "--target", folder]
        command += [f"{name}=={version}" for name, version, _ in chosen]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise HarnessError(f"pip could not install the packages:\n{done.stderr[-2000:]}")
        yield Path(folder)


def crossfile_tasks(config: CrossFileConfig, root: Path) -> list[CrossFileTask]:
    tasks = [
        task
        for _, _, folder in PACKAGES
        if not config.packages or folder in config.packages
        for task in package_tasks(root, folder, config.seed)
    ]
    if not tasks:
        raise HarnessError("the packages gave no cross-file tasks")
    return select(tasks, config.limit, config.seed)


def run_crossfile(config: CrossFileConfig) -> int:
    with install_packages(config.packages) as root:
        tasks = crossfile_tasks(config, root)
    names = ", ".join(
        f"{n}=={v}" for n, v, f in PACKAGES if not config.packages or f in config.packages
    )
    print(f"codefill eval: {len(tasks)} cross-file task(s) from {names}", file=sys.stderr)
    with (
        serving(config.server, config.config) as url,
        httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT) as client,
    ):
        wait_healthy(client, timeout=60.0)
        load_model(client, config.model)
        results = _replay_all(client, tasks, config)
    if all(result.error for result in results):
        raise HarnessError(f"every request failed; the first: {results[0].error}")
    context = {
        "packages": names,
        "tasks": len(tasks),
        "model": config.model,
        "seed": config.seed,
        "num_predict": config.num_predict,
        "concurrency": config.concurrency,
    }
    try:
        if config.out is not None:
            write_text(config.out, crossfile_json(results, context))
        if config.markdown is not None:
            write_text(config.markdown, crossfile_table(results, context))
    except OSError as error:
        raise HarnessError(f"cannot write the report: {error}") from None
    sys.stdout.write(crossfile_table(results, context))
    return 0


def _replay_all(
    client: httpx.Client, tasks: list[CrossFileTask], config: CrossFileConfig
) -> list[CrossFileResult]:
    """Each task's three ways in a row, ``concurrency`` sessions at a time."""
    run = uuid.uuid4().hex[:8]  # sessions of an earlier run on the same server stay apart
    jobs = [(index, task, way) for index, task in enumerate(tasks) for way in WAYS]
    progress = Progress(len(jobs))

    journal = _journal(config.out)

    def one(job: tuple[int, CrossFileTask, str]) -> CrossFileResult:
        index, task, way = job
        session = f"eval-{run}-{index}-{way}"
        result = replay(client, config.model, task, way, session, config.num_predict)
        journal(result)
        progress.advance(result.exact_match)
        return result

    try:
        with ThreadPoolExecutor(config.concurrency) as pool:
            futures = [pool.submit(one, job) for job in jobs]
            try:
                return [future.result() for future in futures]
            except BaseException:  # interrupted, or the server is gone: run no more jobs
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    finally:
        progress.close()


def _journal(out: Path | None) -> Callable[[CrossFileResult], None]:
    """Each result as a JSON line beside ``out`` as it comes (``OUT.partial.jsonl``), so a
    run of hours that dies keeps what it measured."""
    if out is None:
        return lambda result: None
    path = out.with_name(out.name + ".partial.jsonl")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("", encoding="utf-8")
    lock = threading.Lock()

    def write(result: CrossFileResult) -> None:
        with lock, path.open("a", encoding="utf-8") as file:
            file.write(json.dumps(dataclasses.asdict(result), ensure_ascii=False) + "\n")

    return write
