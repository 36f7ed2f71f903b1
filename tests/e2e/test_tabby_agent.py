"""Tabby's editor agent, the real tabby-agent from npm, against a real codefill server.

The server's default model is the Qwen coder model (Tabby requests name no model). Each test
runs once without and once with an API key: with a key the agent gets it as its ``token``,
which it sends as ``Authorization: Bearer``, the only way past codefill's key check here.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Server, start_server, stop_server
from tests.e2e.tabby_agent import JsonLineAgent, LspAgent, agent_command, write_config

CODER_DEFAULT = """
[[models]]
name = "default"
builtin = "qwen2.5-coder"
"""
KEY = "tabby-test-key-7f3a"
# The cursor is inside the function, after "fibonacci(" on its last line.
BEFORE = (
    "def fibonacci(n):\n"
    '    """Return the n-th Fibonacci number."""\n'
    "    if n < 2:\n"
    "        return n\n"
    "    return fibonacci("
)
AFTER = '\n\n\nif __name__ == "__main__":\n    print(fibonacci(10))\n'
FILE = BEFORE + AFTER
CURSOR = {"line": 4, "character": len("    return fibonacci(")}
LABELS = 'dialect="tabby",language="Python",model="default"'


@pytest.fixture(scope="module", params=["", KEY], ids=["no-key", "api-key"])
def coder(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, str]]:
    agent_command()  # skip before starting a server when there is no agent
    key: str = request.param
    extra = ("--api-key", key) if key else ()
    running = start_server(tmp_path_factory.mktemp("tabby"), CODER_DEFAULT, *extra)
    yield running, key
    stop_server(running)


def fits(completion: str, replaced: int = 0) -> None:
    """The completion, put at the cursor (over ``replaced`` characters after it), makes a
    Python file that parses, and finishes the recursive call."""
    assert completion.strip(), "an empty completion"
    ast.parse(BEFORE + completion + AFTER[replaced:])
    assert "fibonacci(n" in "fibonacci(" + completion, completion


def metrics(server: Server, key: str) -> str:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.get(f"{server.url}/metrics", headers=headers, timeout=30).text


def sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def logged_ids(server: Server) -> list[str]:
    """The completion ids of /v1/completions lines in the server's access log."""
    ids = []
    for line in server.log.read_text().splitlines():
        _, _, record = line.partition("codefill.access: ")
        if record.startswith("{"):
            entry: dict[str, Any] = json.loads(record)
            if entry["route"] == "/v1/completions" and entry["status"] == 200:
                ids.append(entry["completion_id"])
    return ids


def test_an_lsp_editor_gets_a_completion_inside_a_function(
    coder: tuple[Server, str], tmp_path: Path
) -> None:
    server, key = coder
    write_config(tmp_path, server.url, key)
    agent = LspAgent(tmp_path)
    try:
        capabilities = agent.request(
            "initialize",
            {
                "processId": None,
                "rootUri": None,
                "capabilities": {},
                "clientInfo": {"name": "codefill-test-editor", "version": "1"},
            },
        )["capabilities"]
        assert "completionProvider" in capabilities
        agent.notify("initialized", {})
        uri = "file:///work/fib.py"
        document = {"uri": uri, "languageId": "python", "version": 1, "text": FILE}
        agent.notify("textDocument/didOpen", {"textDocument": document})
        result = agent.request(
            "textDocument/completion",
            {"textDocument": {"uri": uri}, "position": CURSOR, "context": {"triggerKind": 1}},
        )
    finally:
        agent.close()
    assert not [n for n in agent.notices if n.get("method") == "window/showMessage"]
    item = result["items"][0]
    edit = item["textEdit"]
    assert edit["range"]["start"] == CURSOR and edit["range"]["end"]["line"] == CURSOR["line"]
    fits(edit["newText"], edit["range"]["end"]["character"] - CURSOR["character"])
    assert item["data"]["completionId"] in logged_ids(server)


def test_the_agent_reports_a_view_and_an_accept(coder: tuple[Server, str], tmp_path: Path) -> None:
    server, key = coder
    agent = JsonLineAgent(tmp_path)
    try:
        server_config = {"endpoint": server.url, "token": key, "requestTimeout": 600_000}
        config = {"server": server_config, "anonymousUsageTracking": {"disable": True}}
        properties = {"session": {"client": "codefill-test-editor"}}
        assert agent.call("initialize", {"config": config, "clientProperties": properties})
        assert agent.call("getStatus") == "ready"
        request = {
            "filepath": "/work/fib.py",
            "language": "python",
            "text": FILE,
            "position": len(BEFORE),
            "manually": True,
        }
        answer = agent.call("provideCompletions", request)
        completion_id = answer["id"]
        choice = answer["choices"][0]
        assert choice["replaceRange"]["start"] == len(BEFORE)
        fits(choice["text"], choice["replaceRange"]["end"] - len(BEFORE))
        event = {"completion_id": completion_id, "choice_index": 0}
        assert agent.call("postEvent", {**event, "type": "view"}) is True
        assert agent.call("postEvent", {**event, "type": "select"}) is True
    finally:
        agent.close()
    assert completion_id in logged_ids(server)
    exported = metrics(server, key)
    assert sample(exported, f"codefill_completions_shown_total{{{LABELS}}}") == 1
    accepted = 'dialect="tabby",kind="whole",language="Python",model="default"'
    assert sample(exported, f"codefill_completions_accepted_total{{{accepted}}}") == 1
    ratio = 'codefill_completion_acceptance_ratio_count{language="Python",model="default"}'
    assert sample(exported, ratio) == 1


def test_the_token_decides_when_a_key_is_configured(
    coder: tuple[Server, str], tmp_path: Path
) -> None:
    """A wrong token leaves the agent unauthorized; without keys any token is fine."""
    server, key = coder
    agent = JsonLineAgent(tmp_path)
    try:
        server_config = {"endpoint": server.url, "token": "wrong-" + key}
        config = {"server": server_config, "anonymousUsageTracking": {"disable": True}}
        assert agent.call("initialize", {"config": config}) is True
        assert agent.call("getStatus") == ("unauthorized" if key else "ready")
    finally:
        agent.close()
