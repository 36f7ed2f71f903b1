"""Real upstreams on loopback: llama-cpp-python's own OpenAI server, on the embedded model."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from codefill.builtin import resolve_builtin
from tests.conftest import Server, free_port, start_server, stop_server

pytest.importorskip("sse_starlette", reason="needs llama-cpp-python[server] (the test extra)")

FAMILY = "qwen2.5-coder"


class Upstream:
    """One ``python -m llama_cpp.server`` replica; its log accumulates over restarts."""

    def __init__(self, workdir: Path, name: str) -> None:
        self.port = free_port()
        self.log = workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> None:
        model = resolve_builtin("smollm2", Path())
        command = [sys.executable, "-m", "llama_cpp.server", "--model", model]
        command += ["--port", str(self.port), "--n_threads", "1", "--n_ctx", "2048"]
        # Queue concurrent requests instead of cutting the running stream short.
        command += ["--interrupt_requests", "false", "--verbose", "false"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"upstream exited early:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/v1/models", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"upstream did not start:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def requests(self, path: str = "/v1/completions") -> int:
        """POSTs to ``path`` that reached this replica, from uvicorn's access log."""
        line = f'"POST {path} HTTP/1.1"'
        return sum(line in entry for entry in self.log.read_text(errors="replace").splitlines())

    def disconnects(self) -> int:
        """Streams llama_cpp.server saw its client close before the end."""
        return self.log.read_text(errors="replace").count("Disconnected from client")


@pytest.fixture(scope="module")
def upstreams(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Upstream]]:
    workdir = tmp_path_factory.mktemp("upstreams")
    replicas = [Upstream(workdir, "a"), Upstream(workdir, "b")]
    try:
        for replica in replicas:
            replica.spawn()
        for replica in replicas:
            replica.wait_ready()
        yield replicas
    finally:
        for replica in replicas:
            replica.stop()


def remote_config(replicas: list[Upstream]) -> str:
    urls = ", ".join(f'{{url = "{replica.url}"}}' for replica in replicas)
    return f"""
[[models]]
name = "default"
upstreams = [{urls}]
upstream_model = "smollm2"
family = "{FAMILY}"
context_length = 2048
health_interval = 0.5
"""


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory, upstreams: list[Upstream]) -> Iterator[Server]:
    """codefill in front of both replicas."""
    server = start_server(tmp_path_factory.mktemp("remote"), remote_config(upstreams))
    yield server
    stop_server(server)
