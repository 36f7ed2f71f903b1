"""Shared fixtures: one real server per test session, and a fake-engine app factory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

# A model entry whose template shows every variable, for `codefill render` and the API.
TEST_TEMPLATE = "<lang={code_language}|path={code_file_path}|pre={code_prefix}|suf={code_suffix}>"

# The shared server keeps the tiny SmolLM2 as `default`, so that the hundreds of requests that
# name no model stay quick; the shipped default (the 0.5B coder, which also answers here as
# `qwen2.5-coder`) is checked on a server without configuration by tests/e2e/test_default_model.py.
TEST_CONFIG = f"""
[[models]]
name = "default"
builtin = "smollm2"
aliases = ["gpt-3.5-turbo"]

[[models]]
name = "templated"
builtin = "smollm2"
template = "{TEST_TEMPLATE}"
stop = ["<<STOP>>"]

[[models]]
name = "coder-copy"
builtin = "qwen2.5-coder"
"""


# The seed document's answer fields, plus done_reason and codefill's timings extension.
SEED_FIELDS = frozenset(
    {
        "model",
        "created_at",
        "response",
        "input_tokens",
        "output_tokens",
        "total_duration",
        "done",
        "done_reason",
        "timings",
        "postprocess",  # codefill's: what post-processing removed, or null
    }
)
# Ollama's own metrics, beside the seed's fields in every final /api/generate answer.
OLLAMA_FIELDS = frozenset(
    {
        "prompt_eval_count",
        "eval_count",
        "prompt_eval_duration",
        "eval_duration",
        "load_duration",
        "context",
    }
)
ANSWER_FIELDS = SEED_FIELDS | OLLAMA_FIELDS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    config: Path
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=120, **kwargs)  # type: ignore[arg-type]


def start_server(
    workdir: Path, config_text: str, *extra: str, env: dict[str, str] | None = None
) -> Server:
    """Start `codefill serve` on a free port and wait until /health says the model is loaded."""
    config = workdir / "codefill.toml"
    config.write_text(config_text)
    port = free_port()
    log = workdir / "server.log"
    command = [sys.executable, "-m", "codefill", "serve", "--port", str(port), "--config"]
    process = subprocess.Popen(
        [*command, str(config), *extra],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"codefill exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return Server(url, config, process, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"codefill did not become healthy:\n{log.read_text()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real codefill server (SmolLM2 as `default`, the coder by name), shared by the session."""
    running = start_server(tmp_path_factory.mktemp("server"), TEST_CONFIG)
    yield running
    stop_server(running)


@pytest.fixture
def fake_app() -> Callable[..., object]:
    """Build the app on a FakeEngine: ``fake_app(reply=..., models=[...])``."""
    from codefill.api.app import build_app
    from codefill.engine.fake import FakeEngine
    from codefill.service.models import ModelManager
    from codefill.settings import Settings

    def factory(reply: str = "hello from the fake engine", **settings: object) -> object:
        def loader(config: object, _settings: Settings) -> FakeEngine:
            return FakeEngine(getattr(config, "name", "fake"), reply)

        resolved = Settings.model_validate(settings)
        return build_app(resolved, ModelManager(resolved, loader=loader))

    return factory


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (marked ``anyio``) run on asyncio, like the server."""
    return "asyncio"
