"""Fixtures for the real-client suite: a recording proxy in front of the real server, the
shared requests, and a runner for the JavaScript clients.

Every test drives a real client (library, CLI or editor plugin) through the proxy and checks
what the client reports against what the server sent: the same text, and the server's own
token counts (not an estimate the client made up).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clients.cases import CASES
from tests.clients.recorder import Exchange, Recorder, RunningRecorder
from tests.conftest import Server, start_server, stop_server

HERE = Path(__file__).parent
JS = HERE / "js"


@pytest.fixture
def recorder(server: Server) -> Iterator[Recorder]:
    """A fresh recording proxy in front of the session's server."""
    running = RunningRecorder(server.url)
    yield running.recorder
    running.stop()


@pytest.fixture(scope="session")
def coder_default(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose default model is the coder, as an editor plugin's user configures it
    (the plugins' defaults name a model or none, which the default model answers)."""
    config = f'[[models]]\nname = "default"\nbuiltin = "{CASES.coder}"\n'
    running = start_server(tmp_path_factory.mktemp("coder-default"), config)
    yield running
    stop_server(running)


@pytest.fixture
def coder_recorder(coder_default: Server) -> Iterator[Recorder]:
    """A fresh recording proxy in front of the coder-default server."""
    running = RunningRecorder(coder_default.url)
    yield running.recorder
    running.stop()


def assert_reported(
    exchange: Exchange, text: str, prompt_tokens: int | None, completion_tokens: int | None
) -> None:
    """The client shows the server's text and the server's token counts."""
    counts = exchange.timings()
    sent = (counts["prompt_tokens"], counts["completion_tokens"])
    assert text == exchange.text(), f"the client's text is not the server's\n{exchange}"
    reported = (prompt_tokens, completion_tokens)
    assert reported == sent, f"(prompt, completion) tokens: the server sent {sent}\n{exchange}"
    # An empty answer can be the right one (post-processing may cut all the model wrote, as
    # for a FIM prompt a client wrapped in a chat turn); the counts then show it was read.
    assert text or sent[1] > 0, f"the client reported no text and no tokens\n{exchange}"


def run_node(script: str, case: str, recorder: Recorder, **env: str) -> dict[str, Any]:
    """Run one case of a script in tests/clients/js and return the JSON it printed.

    A client error comes back as ``{"error": [...]}`` and fails here, with what the client
    sent and what it got, so the failure names what the client choked on.
    """
    node = shutil.which("node")
    assert node, "node is not installed (scripts/test installs it)"
    assert (JS / "node_modules").is_dir(), "run `npm ci` in tests/clients/js (scripts/test does)"
    done = subprocess.run(
        [node, str(JS / script), case, recorder.url],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
        cwd=JS,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if "error" in result:
        errors = json.dumps(result["error"], indent=1)
        pytest.fail(f"{script} {case} raised:\n{errors}\nexchanges:\n{recorder.sent()}")
    return result


def assert_node_reported(result: dict[str, Any], exchange: Exchange) -> None:
    text, prompt, completion = (
        result.get(k) for k in ("text", "prompt_tokens", "completion_tokens")
    )
    assert_reported(exchange, text or "", prompt, completion)
