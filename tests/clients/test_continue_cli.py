"""Continue's CLI (`cn -p PROMPT --config FILE`) with an Ollama and with an OpenAI provider.

It runs with a config file and nothing else: no hub login (the auth service starts with no
auth), metrics only when OTEL_* is set, and its one call home (a version check at start-up)
is refused by js/offline.cjs, as it would fail offline. cn always streams chat; it keeps
the usage it read in its session file, which the test reads back.

cn is an agent: every request carries its system prompt and its tools (nine of them, as
OpenAI ``tools``). A model whose chat template has no place for tools refuses them, as
Ollama does (SmolLM2: ``400 default does not support tools``), so the model ``default``
here is the coder, as a cn user configures it; its template renders the tool descriptions
(about 1,400 tokens of prompt in all, in this test's empty folder; in a repository cn adds
its git status and rules, and the prompt grows with them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.clients.cases import CASES
from tests.clients.conftest import JS, assert_reported
from tests.clients.recorder import Recorder

CONFIG = """\
name: codefill
version: 1.0.0
schema: v1
models:
  - name: codefill
    provider: {provider}
    model: default
    apiBase: {api_base}
    apiKey: sk-no-key
    roles: [chat]
    defaultCompletionOptions:
      temperature: 0
      maxTokens: {max_tokens}
"""


def _cn(recorder: Recorder, home: Path, provider: str, api_base: str) -> tuple[str, Any]:
    config = home / "config.yaml"
    text = CONFIG.format(provider=provider, api_base=api_base, max_tokens=CASES.max_tokens)
    config.write_text(text)
    env = {
        **os.environ,
        "HOME": str(home),
        "CONTINUE_GLOBAL_DIR": str(home / ".continue"),
        "CONTINUE_CLI_ENABLE_TELEMETRY": "0",
        "NODE_OPTIONS": f"--require {JS / 'offline.cjs'}",
    }
    node = shutil.which("node")
    assert node, "node is not installed (scripts/test installs it)"
    command = [node, str(JS / "node_modules/@continuedev/cli/dist/cn.js")]
    done = subprocess.run(
        [*command, "-p", CASES.chat[0]["content"], "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=home,
    )
    assert done.returncode == 0, f"cn failed: {done.stderr}\n{recorder.sent()}"
    sessions = sorted((home / ".continue/sessions").glob("*-*.json"))
    assert len(sessions) == 1, sessions
    return done.stdout, json.loads(sessions[0].read_text())


@pytest.mark.parametrize(
    ("provider", "suffix"), [("ollama", ""), ("openai", "/v1")], ids=["ollama", "openai"]
)
def test_chat(coder_recorder: Recorder, tmp_path: Path, provider: str, suffix: str) -> None:
    recorder = coder_recorder
    printed, session = _cn(recorder, tmp_path, provider, recorder.url + suffix)
    # Both providers speak OpenAI's chat dialect: cn's Ollama provider posts to {apiBase}/v1.
    exchange = recorder.last("/v1/chat/completions")
    assert exchange.json["stream"] is True and exchange.json["tools"]
    # the system prompt and the nine tools' descriptions, as the coder's template renders them
    assert exchange.timings()["prompt_tokens"] > 1000
    answer = session["history"][-1]["message"]
    assert printed.strip() == answer["content"].strip()
    usage = answer["usage"]
    assert_reported(exchange, answer["content"], usage["prompt_tokens"], usage["completion_tokens"])
